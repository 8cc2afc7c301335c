"""The scan against real PostgreSQL: deals stored as the evaluator stores them, findings recorded once,
refreshed while open, kept as decided, and a growing ring replacing its smaller self."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from propfirm.abuse.scan import scan
from propfirm.store.abuse import FindingStore
from propfirm.store.migrator import apply_migrations
from propfirm.store.repositories import DealRow
from propfirm.store.uow import UnitOfWork

from tests.conftest import fresh_database

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with fresh_database("propfirm_abuse") as database:
        apply_migrations(database)
        yield database


class Deals:
    def __init__(self, url: str, server: str) -> None:
        self.url, self.server, self.ticket = url, server, 1

    def trade(self, login: int, minute: int, side: str, lots: str, held: int = 30) -> None:
        rows = []
        position = self.ticket
        for entry, at, action in (("in", minute, side), ("out", minute + held, "sell" if side == "buy" else "buy")):
            rows.append(
                DealRow(
                    self.server,
                    self.ticket,
                    login,
                    None,
                    T0 + timedelta(minutes=at),
                    action,
                    entry,
                    "EURUSD",
                    Decimal(lots),
                    Decimal("1.1"),
                    Decimal("10") if entry == "out" else Decimal(0),
                    Decimal(0),
                    Decimal(0),
                    position,
                    0,
                    "",
                    "trade",
                )
            )
            self.ticket += 1
        with UnitOfWork(self.url) as uow:
            uow.deals.upsert(rows)
            uow.commit()


def test_findings_are_recorded_once_refreshed_while_open_and_kept_once_decided(url: str) -> None:
    deals = Deals(url, "scan-1")
    for i in range(6):
        deals.trade(1, i * 60, "buy", "5")
        deals.trade(2, i * 60, "sell", "5")
    until = T0 + timedelta(days=1)
    first = scan(lambda: UnitOfWork(url), "scan-1", until)
    again = scan(lambda: UnitOfWork(url), "scan-1", until)
    assert (first.deals, first.new, again.new) == (24, 1, 0)
    with UnitOfWork(url) as uow:
        [finding] = FindingStore(uow).findings(server="scan-1")
        assert (finding.detector, finding.logins, finding.score, finding.status) == (
            "hedging",
            (1, 2),
            Decimal("1.000"),
            "open",
        )
        assert len(finding.deals) == 24 and finding.evidence["mirrored_trades"] == 6
        FindingStore(uow).decide(finding.id, "dismissed", "risk@example.com", "the same trader's two strategies", until)
        uow.commit()
    for i in range(6, 9):
        deals.trade(1, i * 60, "buy", "5")
        deals.trade(2, i * 60, "sell", "5")
    scan(lambda: UnitOfWork(url), "scan-1", until)
    with UnitOfWork(url) as uow:
        [kept] = FindingStore(uow).findings(server="scan-1")
        assert (kept.status, kept.evidence["mirrored_trades"], kept.note) == (
            "dismissed",
            6,
            "the same trader's two strategies",
        )  # a decision is not undone by a later scan
        with pytest.raises(ValueError, match="dismissed already"):
            FindingStore(uow).decide(kept.id, "confirmed", "someone@example.com", "no", until)


def test_a_ring_that_grows_is_one_finding(url: str) -> None:
    deals = Deals(url, "scan-2")
    for i in range(6):
        deals.trade(11, i * 60, "buy", "2")
        deals.trade(12, i * 60, "buy", "2")
    scan(lambda: UnitOfWork(url), "scan-2", T0 + timedelta(days=1))
    for i in range(6, 12):
        for login in (11, 12, 13):
            deals.trade(login, i * 60, "buy", "2")
    scan(lambda: UnitOfWork(url), "scan-2", T0 + timedelta(days=1))
    with UnitOfWork(url) as uow:
        [ring] = FindingStore(uow).findings(server="scan-2")
    assert (ring.detector, ring.logins) == ("copy_trading", (11, 12, 13))


def test_the_window_bounds_what_is_read(url: str) -> None:
    deals = Deals(url, "scan-3")
    for i in range(6):
        deals.trade(21, i * 60, "buy", "5")
        deals.trade(22, i * 60, "sell", "5")
    later = scan(lambda: UnitOfWork(url), "scan-3", T0 + timedelta(days=30))
    assert (later.deals, later.findings) == (0, [])


def test_the_scheduled_function_scans_every_server_with_recent_deals(url: str) -> None:
    from propfirm.abuse.function import AbuseSettings, scan_all

    deals = Deals(url, "scan-4")
    for i in range(6):
        deals.trade(31, i * 60, "buy", "5")
        deals.trade(32, i * 60, "sell", "5")
    report = scan_all(T0 + timedelta(days=1), AbuseSettings(database_url=url))
    assert report["scan-4"] == {"deals": 24, "findings": 1, "new": 1}
    assert set(report) >= {"scan-1", "scan-2", "scan-4"}  # every server with deals that week
