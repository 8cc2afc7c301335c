"""One scan: a server's trade deals over a window, through every detector, into the findings table.

Never in the evaluation path: it reads the deals the evaluator stored (and the news calendar's releases of the
window, for news straddles) and writes findings (and, where a program says `restrict`, a restriction:
`propfirm.abuse.policy`). The window (default seven days) bounds the work; a finding whose accounts keep
abusing is refreshed scan after scan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from propfirm.abuse import owners, policy
from propfirm.domain.abuse.detectors import detect
from propfirm.domain.abuse.findings import Finding, Thresholds
from propfirm.domain.abuse.news import Release
from propfirm.domain.abuse.trades import trades_of
from propfirm.store.abuse import FindingStore
from propfirm.store.news import NewsStore
from propfirm.store.sightings import SightingStore
from propfirm.store.uow import UnitOfWork

DEFAULT_WINDOW = timedelta(days=7)
DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class ScanResult:
    server: str
    deals: int
    findings: list[Finding]  # those recorded (the programs' policies switch some off)
    new: int
    restricted: list[int]  # challenges restricted by a new finding (programs with `restrict`)


def scan(
    uow_factory: Callable[[], UnitOfWork],
    server: str,
    until: datetime,
    window: timedelta = DEFAULT_WINDOW,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    recorded_at: datetime | None = None,
) -> ScanResult:
    """Detect over [until - window, until) and record; `recorded_at` stamps the rows (default `until`)."""
    with uow_factory() as uow:
        store = FindingStore(uow)
        deals, sizes = store.trade_deals(server, until - window, until)
        releases = [Release(r.at, r.title, r.currencies) for r in NewsStore(uow).between(until - window, until)]
        found = detect(trades_of(deals, sizes), thresholds, releases=releases)
        accounts = policy.accounts_of(uow, server, sorted({login for f in found for login in f.logins}))
        kept = policy.kept(found, accounts)
        traders = sorted({accounts[login].trader_id for f in kept if len(f.logins) > 1 for login in f.logins
                          if login in accounts})
        sightings = SightingStore(uow).of_traders(traders) if traders else []
        findings = owners.with_traders(kept, accounts, sightings)
        stamp = recorded_at or until
        new = store.record(findings, stamp)
        restricted = [cid for finding, fid in new for cid in policy.restrict(uow, finding, fid, accounts, stamp)]
        uow.commit()
    return ScanResult(server, len(deals), findings, len(new), restricted)
