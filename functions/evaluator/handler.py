"""The evaluator Lambdas: the SQS batch handler and the scheduled relay (propfirm.evaluation.function)."""

import gc

from propfirm.evaluation.function import lambda_handler, relay_handler

__all__ = ["lambda_handler", "relay_handler"]

gc.freeze()  # what the imports made is never garbage: keep it out of every collection
