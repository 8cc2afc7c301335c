"""The store's exceptions: what the service layer catches, with no psycopg type in sight."""

from __future__ import annotations


class StoreError(Exception):
    pass


class ConcurrencyConflict(StoreError):
    """Somebody saved the challenge after we read it: its version is not the one we expected."""

    def __init__(self, challenge_id: int, expected: int) -> None:
        super().__init__(f"challenge {challenge_id} is no longer at version {expected}")
        self.challenge_id = challenge_id
        self.expected = expected


class NotFound(StoreError):
    pass


class ProgramConflict(StoreError):
    """A program version that exists already with another definition (versions are immutable)."""
