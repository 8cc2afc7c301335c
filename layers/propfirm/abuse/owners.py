"""Whose accounts a finding names: the detectors see logins and timing only; the scan adds the traders.

A finding across accounts gets `evidence["traders"]`: its logins grouped by the trader who holds each
account's challenge (`groups`, trader id -> logins), `one_trader` when a single trader holds them all (a
trader hedging or copying between their own accounts: what most firms' rules forbid outright), and
`unknown` for logins with no challenge here (grouped by timing alone). Device and IP are not known to
this system; where the firm's CRM knows them, they belong beside this grouping.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from propfirm.abuse.policy import Account
from propfirm.domain.abuse.findings import Finding


def by_trader(logins: Sequence[int], owners: Mapping[int, int]) -> dict[str, Any]:
    """The `traders` evidence of a finding naming `logins` (owners: login -> trader id)."""
    groups: dict[int, list[int]] = {}
    for login in logins:
        if login in owners:
            groups.setdefault(owners[login], []).append(login)
    unknown = [login for login in logins if login not in owners]
    return {
        "groups": {str(trader): sorted(held) for trader, held in sorted(groups.items())},
        "one_trader": len(groups) == 1 and not unknown,
        "unknown": sorted(unknown),
    }


def with_traders(findings: Sequence[Finding], accounts: Mapping[int, Account]) -> list[Finding]:
    """The findings, each across two or more accounts with its `traders` evidence."""
    owners = {login: account.trader_id for login, account in accounts.items()}
    return [
        dataclasses.replace(f, evidence={**f.evidence, "traders": by_trader(f.logins, owners)})
        if len(f.logins) > 1
        else f
        for f in findings
    ]
