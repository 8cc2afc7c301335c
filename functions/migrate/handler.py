"""The migration Lambda, run by a CDK trigger on every deploy (propfirm.store.deploy)."""

from propfirm.store.deploy import lambda_handler

__all__ = ["lambda_handler"]
