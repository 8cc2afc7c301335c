"""Who may do what: the three roles, as the identity provider's groups name them (Cognito's groups, the
local tokens' `cognito:groups`), one vocabulary for the API, the command line and the infrastructure."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    TRADER = "trader"  # their own challenges and payouts
    SUPPORT = "support"  # reads every page, changes nothing
    ADMIN = "admin"  # everything, each change audited


STAFF = frozenset({Role.ADMIN, Role.SUPPORT})
