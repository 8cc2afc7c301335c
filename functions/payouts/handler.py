"""The payouts worker Lambdas: the workflow's tasks and the scheduled sweep (propfirm.payouts.function)."""

from propfirm.payouts.function import lambda_handler, sweep_handler

__all__ = ["lambda_handler", "sweep_handler"]
