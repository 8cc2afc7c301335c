from datetime import UTC, datetime, timedelta
from decimal import Decimal

from propfirm.domain.programs import load_example_programs
from propfirm.live.records import PositionSummary
from propfirm.mt5.models import Deal, DealAction, DealEntry
from propfirm.poller.changes import ChangeDetector, fingerprint_hash
from propfirm.poller.deals import DealTracker, to_ms
from propfirm.poller.startup import missing_groups, needs_positions, watch_plan

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def fp(equity: str, positions: tuple[PositionSummary, ...] | None = ()) -> int:
    return fingerprint_hash(Decimal("100000"), Decimal(equity), Decimal(0), Decimal(0), positions)


def test_an_account_is_sent_when_it_changes_has_deals_or_its_heartbeat_is_due() -> None:
    detector = ChangeDetector(heartbeat_seconds=60)
    assert detector.is_changed(1, fp("100000"), now=0.0, has_deals=False)  # never sent
    detector.commit([(1, fp("100000"))], now=0.0)
    assert not detector.is_changed(1, fp("100000"), now=10.0, has_deals=False)
    assert detector.is_changed(1, fp("99999.99"), now=10.0, has_deals=False)
    assert detector.is_changed(1, fp("100000", (PositionSummary("EURUSD", Decimal(1), "buy"),)), 10.0, False)
    assert detector.is_changed(1, fp("100000"), now=10.0, has_deals=True)
    assert detector.is_changed(1, fp("100000"), now=60.0, has_deals=False)


def test_the_fingerprint_sees_each_amount_and_the_positions_and_reads_a_new_decimal_of_the_same_text_alike() -> None:
    amounts = ("100000.00", "100012.50", "0.00", "150.00")

    def of(*texts: str, positions: object = None) -> int:
        balance, equity, credit, margin = (Decimal(text) for text in texts)  # new objects every time
        return fingerprint_hash(balance, equity, credit, margin, positions)

    assert of(*amounts) == of(*amounts)
    for i in range(4):
        changed = list(amounts)
        changed[i] = "100012.51"
        assert of(*changed) != of(*amounts), i
    assert of(*amounts, positions=(("EURUSD", Decimal("1.00"), "buy"),)) != of(*amounts, positions=())


def test_detector_forgets_accounts_that_left_the_watched_groups() -> None:
    detector = ChangeDetector(60)
    detector.commit([(1, fp("1")), (2, fp("2"))], 0.0)
    detector.forget_missing({2})
    assert len(detector) == 1 and detector.is_changed(1, fp("1"), 1.0, False)


def deal(ticket: int, at: datetime) -> Deal:
    return Deal("default", 5001, ticket, at, DealAction.BUY, DealEntry.IN, "EURUSD", Decimal(1), Decimal(1),
                Decimal(0), Decimal(0), Decimal(0), ticket)


def test_deal_tracker_hands_each_ticket_on_once_and_reaches_back_by_the_overlap() -> None:
    tracker = DealTracker(overlap_ms=60_000, cursor_ms=to_ms(T0))
    now = T0 + timedelta(seconds=10)
    since, until = tracker.window(now)
    assert (since, until) == (T0 - timedelta(minutes=1), now + timedelta(seconds=1))
    later = T0 + timedelta(seconds=5)
    first = list(tracker.select_new([deal(1, T0), deal(2, later), deal(2, later)]))
    assert tracker.fetched == 3
    assert [d.ticket for d in first] == [1, 2]
    tracker.commit({d.ticket: to_ms(d.time) for d in first}, to_ms(until))
    assert tracker.cursor_ms == to_ms(until)
    late = deal(3, T0 - timedelta(seconds=30))  # shows up late with an earlier time: still caught
    again = list(tracker.select_new([deal(1, T0), deal(2, later), late]))
    assert [d.ticket for d in again] == [3]
    tracker.commit({}, to_ms(T0))
    assert tracker.cursor_ms == to_ms(until)  # the cursor never moves back


def test_the_deal_window_is_bounded_and_adapts_to_the_deals_it_brings() -> None:
    tracker = DealTracker(overlap_ms=0, cursor_ms=to_ms(T0), window_ms=60_000, target_deals=1_000)
    now = T0 + timedelta(hours=2)  # two hours behind: a backlog
    assert tracker.window(now)[1] == T0 + timedelta(minutes=1)
    tracker.commit({}, to_ms(T0 + timedelta(minutes=1)), fetched=5_000)  # dense: halve
    assert tracker.window(now)[1] == T0 + timedelta(minutes=1, seconds=30)
    tracker.commit({}, to_ms(T0 + timedelta(minutes=1, seconds=30)), fetched=10)  # sparse: grow fourfold
    assert tracker.window(now)[1] == T0 + timedelta(minutes=3, seconds=30)


def test_start_up_names_every_missing_group_case_insensitively() -> None:
    assert missing_groups(["challenge\\phase1", "funded\\standard", "x\\y"], ["CHALLENGE\\Phase1"]) == [
        "funded\\standard", "x\\y"]


def test_watch_plan_reads_positions_only_for_groups_whose_rules_need_them() -> None:
    programs = list(load_example_programs().values())
    plan = watch_plan(programs, "", "auto")
    assert set(needs_positions(programs)) == set(plan.position_groups)
    assert set(plan.position_groups) <= set(plan.groups)
    # the steady plan's per-trade limit and exposure caps judge positions; the two-step's rules do not
    assert {"challenge\\steady1", "challenge\\steady2", "funded\\steady"} <= set(plan.position_groups)
    assert "challenge\\phase1" not in plan.position_groups
    assert watch_plan(programs, "challenge\\*,!challenge\\step3", "always").groups == [
        "challenge\\*", "!challenge\\step3"]
    assert watch_plan(programs, "", "never").position_groups == []
