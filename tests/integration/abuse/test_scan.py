"""The scan against real PostgreSQL: deals stored as the evaluator stores them, findings recorded once,
refreshed while open, kept as decided, and a growing ring replacing its smaller self."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from propfirm.abuse.scan import scan
from propfirm.store.abuse import FindingStore
from propfirm.store.deals import DealRow
from propfirm.store.migrator import apply_migrations
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
    assert report["scan-4"] == {"deals": 24, "findings": 1, "new": 1, "restricted": 0}
    assert set(report) >= {"scan-1", "scan-2", "scan-4"}  # every server with deals that week


def _programs_with(url: str, policies: dict[str, dict]) -> None:
    """Programs `abuse-<name>` with the given `abuse:` policies, loaded as `propfirm programs load` does."""
    from propfirm.domain.programs import parse_program

    with UnitOfWork(url) as uow:
        for name, abuse in policies.items():
            program = {"id": f"abuse-{name}", "account_size": "100000", "phases": [{"group": f"g\\{name}"}]}
            if abuse:
                program["abuse"] = abuse
            uow.programs.add(parse_program(program))
        uow.commit()


def _challenge(url: str, server: str, login: int, program: str) -> int:
    from propfirm.store.registration import register_account_challenge

    with UnitOfWork(url) as uow:
        cid = register_account_challenge(uow, server, login, program, time=T0)
        uow.commit()
    return cid


def test_programs_say_off_flag_or_restrict_per_detector(url: str) -> None:
    _programs_with(url, {"off": {"hedging": "off"}, "flag": {}, "restrict": {"hedging": "restrict"}})
    server = "scan-policy"
    off_a, off_b = _challenge(url, server, 41, "abuse-off"), _challenge(url, server, 42, "abuse-off")
    mixed_flag = _challenge(url, server, 43, "abuse-flag")
    mixed_restrict = _challenge(url, server, 44, "abuse-restrict")
    deals = Deals(url, server)
    for i in range(6):
        for login, side in ((41, "buy"), (42, "sell")):
            deals.trade(login, i * 60, side, "5")
        for login, side in ((43, "buy"), (44, "sell")):
            deals.trade(login, i * 60 + 5000, side, "7")
    until = T0 + timedelta(days=7)
    first = scan(lambda: UnitOfWork(url), server, until)
    again = scan(lambda: UnitOfWork(url), server, until)
    # the pair whose programs both switch hedging off is not recorded; the mixed pair is, and only the
    # account whose program says restrict is restricted, once
    assert [f.logins for f in first.findings] == [(43, 44)]
    assert first.restricted == [mixed_restrict] and again.restricted == [] and again.new == 0
    with UnitOfWork(url) as uow:
        [finding] = FindingStore(uow).findings(server=server)
        [transition] = uow.challenges.transitions_of(mixed_restrict)
        assert (transition["decision"], transition["reason"], transition["from_phase"], transition["to_phase"]) == (
            "restricted", "abuse", 0, 0)
        assert transition["evidence"]["abuse"] == {
            "finding_id": finding.id, "detector": "hedging", "score": 1.0, "logins": [43, 44]}
        record = uow.challenges.get(mixed_restrict)
        assert (record.status, record.transitions) == ("active", 1)
        assert uow.challenges.transitions_of(mixed_flag) == []
        assert uow.challenges.transitions_of(off_a) == uow.challenges.transitions_of(off_b) == []
        kinds = [r[0] for r in uow.fetchall(
            "SELECT kind FROM audit_log WHERE challenge_id = %s ORDER BY id", (mixed_restrict,))]
        assert kinds[-1] == "challenge.abuse_restricted"
        from propfirm.explain.service import explain_transition

        [(transition_id,)] = uow.fetchall("SELECT id FROM phase_transitions WHERE challenge_id = %s", (mixed_restrict,))
        explained = explain_transition(uow, transition_id)
        assert explained["same"] and explained["abuse"]["detector"] == "hedging"
        assert f"hedging detector found a pattern across accounts 43, 44 (finding {finding.id}" in explained["text"]


def test_a_finding_groups_its_accounts_by_trader(url: str) -> None:
    from propfirm.store.registration import register_account_challenge

    _programs_with(url, {"owners": {}})
    server = "scan-owners"
    with UnitOfWork(url) as uow:
        for login, email in ((51, "ann@example.com"), (52, "ann@example.com"), (53, "bob@example.com"),
                             (54, "cyd@example.com")):
            register_account_challenge(uow, server, login, "abuse-owners", trader_email=email, time=T0)
        uow.commit()
    deals = Deals(url, server)
    for i in range(6):
        deals.trade(51, i * 60, "buy", "5")  # Ann hedges between her own two accounts
        deals.trade(52, i * 60, "sell", "5")
        deals.trade(53, i * 60 + 3000, "buy", "3")  # Bob and Cyd against each other; 55 has no challenge
        deals.trade(54, i * 60 + 3000, "sell", "3")
        deals.trade(55, i * 60 + 6000, "buy", "2")
        deals.trade(54, i * 60 + 6000, "sell", "2")
    scan(lambda: UnitOfWork(url), server, T0 + timedelta(days=7))
    with UnitOfWork(url) as uow:
        found = {f.logins: f.evidence["traders"] for f in FindingStore(uow).findings(server=server)}
        ann, bob, cyd = (uow.fetchone("SELECT id FROM traders WHERE email = %s", (e,))[0]
                         for e in ("ann@example.com", "bob@example.com", "cyd@example.com"))
    assert found[(51, 52)] == {"groups": {str(ann): [51, 52]}, "one_trader": True, "unknown": []}
    assert found[(53, 54)] == {"groups": {str(bob): [53], str(cyd): [54]}, "one_trader": False, "unknown": []}
    assert found[(54, 55)] == {"groups": {str(cyd): [54]}, "one_trader": False, "unknown": [55]}


def test_news_straddles_are_judged_around_the_calendars_releases_of_the_window(url: str) -> None:
    from propfirm.store.news import NewRelease, NewsStore

    deals = Deals(url, "scan-6")
    releases = [T0 + timedelta(days=d, hours=4, minutes=30) for d in range(3)]  # 13:30 on three days
    for at in releases:
        minute = int((at - T0).total_seconds() // 60) - 10  # both legs ten minutes before, held across
        deals.trade(61, minute, "buy", "3", held=25)
        deals.trade(61, minute, "sell", "3", held=30)
    until = T0 + timedelta(days=4)
    assert scan(lambda: UnitOfWork(url), "scan-6", until).findings == []  # no calendar: nothing to straddle
    with UnitOfWork(url) as uow:
        NewsStore(uow).add([NewRelease(at, "US data", ("USD",)) for at in releases], "risk@example.com", T0)
        uow.commit()
    result = scan(lambda: UnitOfWork(url), "scan-6", until)
    [finding] = result.findings
    assert (finding.detector, finding.logins, finding.score) == ("news_straddle", (61,), 1.0)
    assert [m["release"]["at"] for m in finding.evidence["matches"]] == [at.isoformat() for at in releases]
    assert len(finding.deals) == 12


def test_traders_seen_on_one_address_or_device_are_named_in_the_finding(url: str) -> None:
    from propfirm.api.sightings import device_of
    from propfirm.store.registration import register_account_challenge
    from propfirm.store.sightings import SightingStore

    _programs_with(url, {"owners": {}})
    server = "scan-seen"
    browser = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"
    with UnitOfWork(url) as uow:
        for login, email in ((71, "dee@example.com"), (72, "eve@example.com"), (73, "fay@example.com")):
            register_account_challenge(uow, server, login, "abuse-owners", trader_email=email, time=T0)
        subs = dict(uow.fetchall("SELECT email, sub FROM traders WHERE email = ANY(%s)",
                                 (["dee@example.com", "eve@example.com", "fay@example.com"],)))
        store = SightingStore(uow)
        assert store.record(subs["dee@example.com"], "203.0.113.7", device_of(browser), browser, T0)
        assert store.record(subs["eve@example.com"], "203.0.113.7", device_of("curl/8"), "curl/8", T0)
        assert store.record(subs["eve@example.com"], "198.51.100.2", device_of(browser), browser, T0)
        assert store.record(subs["fay@example.com"], "192.0.2.9", device_of("other"), "other", T0)
        assert not store.record("no-such-sub", "192.0.2.9", "", "", T0)  # staff, or nobody: nothing kept
        uow.commit()
    deals = Deals(url, server)
    for i in range(6):
        deals.trade(71, i * 60, "buy", "5")  # Dee and Eve hedge against each other
        deals.trade(72, i * 60, "sell", "5")
    scan(lambda: UnitOfWork(url), server, T0 + timedelta(days=7))
    with UnitOfWork(url) as uow:
        [finding] = FindingStore(uow).findings(server=server)
        dee, eve = (uow.fetchone("SELECT id FROM traders WHERE email = %s", (e,))[0]
                    for e in ("dee@example.com", "eve@example.com"))
    shared = finding.evidence["traders"]["shared"]
    assert shared == [
        {"kind": "address", "value": "203.0.113.7", "traders": sorted([dee, eve]), "logins": [71, 72]},
        {"kind": "device", "value": device_of(browser), "traders": sorted([dee, eve]), "logins": [71, 72],
         "label": browser},
    ]
