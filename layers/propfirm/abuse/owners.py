"""Whose accounts a finding names: the detectors see logins and timing only; the scan adds the traders.

A finding across accounts gets `evidence["traders"]`: its logins grouped by the trader who holds each
account's challenge (`groups`, trader id -> logins), `one_trader` when a single trader holds them all (a
trader hedging or copying between their own accounts: what most firms' rules forbid outright), and
`unknown` for logins with no challenge here (grouped by timing alone). Where two or more of those traders
signed in to the dashboards from one address or on one device (`trader_sightings`, recorded by the API),
`evidence["traders"]["shared"]` lists each such address or device with the traders and logins behind it:
several traders on one machine may be one person.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from propfirm.abuse.policy import Account
from propfirm.domain.abuse.findings import Finding
from propfirm.store.sightings import Sighting


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


def shared(groups: Mapping[int, Sequence[int]], sightings: Sequence[Sighting]) -> list[dict[str, Any]]:
    """Each address or device that two or more of the traders in `groups` (trader id -> logins) were seen
    on, with those traders and their logins."""
    seen: dict[tuple[str, str], dict[int, str]] = {}
    for s in sightings:
        if s.trader_id not in groups:
            continue
        seen.setdefault(("address", s.address), {})[s.trader_id] = ""
        if s.device:
            seen.setdefault(("device", s.device), {})[s.trader_id] = s.device_label
    out = []
    for (kind, value), traders in sorted(seen.items()):
        if len(traders) < 2:
            continue
        entry: dict[str, Any] = {
            "kind": kind,
            "value": value,
            "traders": sorted(traders),
            "logins": sorted(login for t in traders for login in groups[t]),
        }
        if kind == "device":
            entry["label"] = next((label for label in traders.values() if label), "")  # the User-Agent read
        out.append(entry)
    return out


def with_traders(
    findings: Sequence[Finding], accounts: Mapping[int, Account], sightings: Sequence[Sighting] = ()
) -> list[Finding]:
    """The findings, each across two or more accounts with its `traders` evidence (and what its traders
    share, from `sightings`)."""
    owners = {login: account.trader_id for login, account in accounts.items()}
    out = []
    for f in findings:
        if len(f.logins) < 2:
            out.append(f)
            continue
        traders = by_trader(f.logins, owners)
        common = shared({int(t): held for t, held in traders["groups"].items()}, sightings)
        if common:
            traders["shared"] = common
        out.append(dataclasses.replace(f, evidence={**f.evidence, "traders": traders}))
    return out
