"""The API Lambda: `propfirm.api.function.lambda_handler` (the application with its logging, tracing and
metrics; the local server serves the same function)."""

from propfirm.api.function import lambda_handler

__all__ = ["lambda_handler"]
