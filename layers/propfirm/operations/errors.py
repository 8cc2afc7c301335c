"""What an operator's use case refuses, in the domain's words; the API maps each to a problem (404, 409)."""

from __future__ import annotations


class OperationError(Exception):
    """A refused operation: `code` names the reason for machines, the message says it for people."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class ChallengeNotFound(OperationError):
    """No challenge has that id."""


class OperationConflict(OperationError):
    """The challenge is not in a state the operation applies to (or it changed meanwhile)."""
