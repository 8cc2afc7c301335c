"""The abuse scan Lambda, on a schedule (propfirm.abuse.function)."""

from propfirm.abuse.function import lambda_handler

__all__ = ["lambda_handler"]
