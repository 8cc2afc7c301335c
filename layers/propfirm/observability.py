"""Logging set up once for every function: Powertools' Logger, and the package's standard-library loggers
written through it.

The domain and adapter modules log with `logging.getLogger("propfirm.<part>")` (no dependency on
Powertools below the handlers). In Lambda, `function_logger` hands the function Logger's JSON handler to
the package's logger, so those lines reach CloudWatch as JSON with the service, the correlation id and the
keys the handler appended (the challenge, the message), instead of plain text. Outside Lambda (tests, the
local stack) the standard loggers stay as the process configured them: the local stack writes its log
file, pytest captures them.
"""

from __future__ import annotations

import logging
import os

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

PACKAGE = "propfirm"


def in_lambda() -> bool:
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))


def function_logger(service: str) -> Logger:
    """The function's Logger; in Lambda, every `propfirm.*` standard logger writes through it."""
    logger = Logger(service=service)
    if in_lambda():
        logging.getLogger(PACKAGE)  # registered, so that the copy reaches its children through it
        copy_config_to_registered_loggers(source_logger=logger, include={PACKAGE})
    return logger
