"""The outbound webhooks Lambdas: the bus's events from their queue, and the retry schedule
(propfirm.webhooks.function)."""

from propfirm.webhooks.function import lambda_handler, retry_handler

__all__ = ["lambda_handler", "retry_handler"]
