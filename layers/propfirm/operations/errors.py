"""What an operator's use case refuses, in the domain's words; the API maps each kind to a problem:
`Missing` to 404, `InvalidRequest` to 422, any other `OperationError` (a conflict with the state) to 409."""

from __future__ import annotations

from typing import Any


class OperationError(Exception):
    """A refused operation: `code` names the reason for machines, the message says it for people, and
    `details` carry what a client can act on (e.g. the fields in error)."""

    def __init__(self, message: str, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details


class Missing(OperationError):
    """What the operation names does not exist."""


class ChallengeNotFound(Missing):
    """No challenge has that id."""


class InvalidRequest(OperationError):
    """The operation's input breaks a rule of the domain (beyond the API's own validation)."""


class OperationConflict(OperationError):
    """The challenge (or program) is not in a state the operation applies to, or it changed meanwhile."""
