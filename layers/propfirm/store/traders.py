"""Traders: one row per purchase email, bound to the identity provider's subject."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from propfirm.store.uow import UnitOfWork


IDENTITY_PROVIDER, LOCAL, UNBOUND = "identity_provider", "local", "unbound"  # where a trader's sub came from


@dataclass(frozen=True)
class TraderRow:
    id: int
    email: str
    sub: str
    sub_origin: str
    rebound: bool = False  # this call moved the row to another login's sub


class TraderRepository:
    """Traders: one row per purchase email, bound to the identity provider's immutable subject (`sub`)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def _by(self, column: str, value: str) -> TraderRow | None:
        where = "lower(email) = lower(%s)" if column == "email" else "sub = %s"
        row = self.uow.fetchone(f"SELECT id, email, sub, sub_origin FROM traders WHERE {where}", (value,))
        return None if row is None else TraderRow(int(row[0]), row[1], row[2], row[3])

    def by_sub(self, sub: str) -> TraderRow | None:
        return self._by("sub", sub)

    def by_email(self, email: str) -> TraderRow | None:
        return self._by("email", email)

    def get_or_create(
        self, email: str, name: str | None = None, sub: str | None = None, origin: str = LOCAL
    ) -> TraderRow:
        """The trader of a purchase's email, bound as the identity provider says:

        - `origin` identity_provider with `sub`: the row of that sub, else the email's row bound to it (a row
          whose sub was local, unbound or of an earlier login of the same verified email: `rebound`), else a
          new row;
        - local (no identity provider): the email's row, else a new row with a generated sub (or `sub`);
        - unbound (the email's login may not be granted anything): the email's row as it is, else a new
          row with a sub no login has.
        """
        if origin == IDENTITY_PROVIDER:
            if sub is None:
                raise ValueError("an identity provider's trader needs its sub")
            found = self.by_sub(sub)
            if found is not None:
                return found
            row = self.uow.fetchone(
                "UPDATE traders SET sub = %s, sub_origin = %s WHERE lower(email) = lower(%s)"
                " RETURNING id, email, sub, sub_origin",
                (sub, IDENTITY_PROVIDER, email),
            )
            if row is not None:
                return TraderRow(int(row[0]), row[1], row[2], row[3], rebound=True)
        else:
            found = self.by_email(email)
            if found is not None:
                return found
            sub = f"unbound:{uuid.uuid4()}" if origin == UNBOUND else (sub or str(uuid.uuid4()))
        row = self.uow.fetchone(
            "INSERT INTO traders (email, name, sub, sub_origin) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (lower(email)) DO NOTHING RETURNING id, email, sub, sub_origin",
            (email, name, sub, origin),
        )
        if row is not None:
            return TraderRow(int(row[0]), row[1], row[2], row[3])
        # a concurrent purchase by the same email created it first
        return self.get_or_create(email, name, sub, origin)
