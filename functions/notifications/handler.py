"""The notifications Lambda, on the bus's events (propfirm.notify.function)."""

from propfirm.notify.function import lambda_handler

__all__ = ["lambda_handler"]
