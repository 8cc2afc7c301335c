"""Payout arithmetic and eligibility (pure), with worked numbers.

- FTMO: 80% split, fee refunded with the first reward, first claim 14 days after the start
  (1 April → 15 April, days on the program's reset clock: 00:00 Europe/Prague).
- split tiers by the number of earlier payouts; the fee refund only on the first; ROUND_DOWN to cents.
- E8 (test vectors 17, 18): a 3k withdrawal leaves the trailing floor at 97k; the 35% best-day rule.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from propfirm.domain.payouts import (
    PayoutTerms,
    TradeDeal,
    assess,
    quantize,
    realised_positions,
)
from propfirm.domain.programs import Program, parse_program

from tests.unit.domain.helpers import Account

PRAGUE = ZoneInfo("Europe/Prague")


def program(
    funded: dict | None = None, *, fee: str | None = "540", currency: str = "USD", zone: str = "Europe/Prague"
) -> Program:
    terms = {
        "profit_split_pct": 80,
        "split_tiers": [{"after_payouts": 4, "pct": 90}],
        "payout_min_days": 14,
        "payout_min_amount": "50",
        "refund_fee_on_first_payout": True,
        **(funded or {}),
    }
    data = {
        "id": "ftmo-like",
        "currency": currency,
        "account_size": "100000",
        "day_reset": {"time": "00:00", "zone": zone},
        "phases": [
            {"name": "phase1", "group": "challenge\\phase1", "profit_target_pct": 10},
            {"name": "funded", "group": "funded\\standard", "funded": True, "daily_loss_pct": 5, **terms},
        ],
    }
    if fee is not None:
        data["fee"] = fee
    return parse_program(data)


def prague(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=PRAGUE).astimezone(UTC)


class Deals:
    """Positions as MT5 deals: IN with its commission, OUT with profit, swap and commission."""

    def __init__(self) -> None:
        self.deals: list[TradeDeal] = []

    def add(
        self,
        position: int,
        entry: str,
        at: datetime,
        profit: str = "0",
        commission: str = "0",
        swap: str = "0",
        volume: str = "1",
    ) -> int:
        ticket = len(self.deals) + 1
        self.deals.append(
            TradeDeal(
                ticket,
                position,
                at,
                entry,
                Decimal(volume),
                Decimal(profit),
                Decimal(commission),
                Decimal(swap),
            )
        )
        return ticket

    def trade(
        self, position: int, at: datetime, profit: str, commission: str = "-3.50", swap: str = "0"
    ) -> None:
        self.add(position, "in", at, commission=commission)
        self.add(position, "out", at + timedelta(hours=1), profit=profit, commission=commission, swap=swap)


FUNDED_AT = prague("2026-04-01 10:00")


def quote_at(deals: Deals, now: datetime, previous: int = 0, prog: Program | None = None, **kw):
    return assess(
        prog or program(),
        deals=deals.deals,
        previous_payouts=previous,
        period_start=FUNDED_AT,
        now=now,
        funded=kw.pop("funded", True),
        active=kw.pop("active", True),
        **kw,
    )


def codes(assessment) -> set[str]:
    return {d.code for d in assessment.denials}


# -- FTMO: 80%, the fee refund, 14 days ----------------------------------------------------------------
def test_ftmo_first_reward_80_percent_with_fee_refund() -> None:
    deals = Deals()
    deals.trade(1, prague("2026-04-02 09:00"), "6000.00", swap="-12.40")  # 6000 - 7.00 - 12.40 = 5980.60
    deals.trade(2, prague("2026-04-07 15:00"), "-1500.00")  # -1507.00
    result = quote_at(deals, prague("2026-04-15 08:00"))
    q = result.quote
    assert result.eligible, result.denials
    assert q.profit == Decimal("4473.60")
    assert q.amount == Decimal("4473.60")  # the whole profit leaves the account
    assert q.split_pct == Decimal(80)
    assert q.split_share == Decimal("3578.88")
    assert q.fee_refund == Decimal(540)
    assert q.trader_share == Decimal("4118.88")
    assert q.firm_share == Decimal("894.72")
    assert q.split_share + q.firm_share == q.amount
    assert q.deals == (1, 2, 3, 4) and q.payout_number == 1


def test_ftmo_14_days_start_1_april_claim_from_15_april() -> None:
    deals = Deals()
    deals.trade(1, prague("2026-04-02 09:00"), "1000.00")
    early = quote_at(deals, prague("2026-04-14 23:59"))
    [denial] = early.denials
    assert (denial.code, denial.value, denial.limit) == ("min_days", "13", "14")
    assert early.quote.eligible_from == prague("2026-04-15 00:00")
    assert quote_at(deals, prague("2026-04-15 00:00")).eligible


def test_every_condition_is_shown_met_or_not_with_the_date_an_unmet_one_is_met() -> None:
    deals = Deals()
    deals.trade(1, prague("2026-04-02 09:00"), "40.00")  # 40 - 7.00 = 33.00 profit: a share of 26.40 < 50
    deals.add(2, "in", prague("2026-04-03 09:00"))  # still open
    early = quote_at(deals, prague("2026-04-09 12:00"))
    shown = {c.code: c for c in early.conditions}
    assert list(shown) == ["not_funded", "account_not_active", "no_open_positions", "min_days", "not_in_profit",
                           "min_amount"]
    assert [c.code for c in early.conditions if not c.met] == sorted(codes(early), key=list(shown).index)
    assert shown["not_funded"].met and shown["account_not_active"].met and shown["not_in_profit"].met
    days = shown["min_days"]
    assert (days.met, days.value, days.limit, days.met_from) == (False, "8", "14", prague("2026-04-15 00:00"))
    assert (shown["no_open_positions"].met, shown["no_open_positions"].value) == (False, "1")
    assert shown["no_open_positions"].met_from is None  # only the trader can meet it
    assert (shown["min_amount"].met, shown["min_amount"].value, shown["min_amount"].limit) == (False, "26.40", "50")
    assert shown["min_days"].to_dict()["met_from"] == "2026-04-14T22:00:00+00:00"  # 00:00 in Prague


def test_days_follow_the_program_zone_across_dst() -> None:
    # 2026-03-29 is the spring change in Prague: 14 wall-clock days from 20 March 00:00 is 3 April 00:00 CEST
    deals = Deals()
    deals.trade(1, prague("2026-03-21 09:00"), "1000.00")
    start = prague("2026-03-20 10:00")
    result = assess(
        program(),
        deals=deals.deals,
        previous_payouts=0,
        period_start=start,
        now=prague("2026-04-03 00:00"),
        funded=True,
        active=True,
    )
    assert result.quote.eligible_from == prague("2026-04-03 00:00")
    assert result.eligible


# -- split tiers, fee refund, rounding -------------------------------------------------------------------
def test_split_tier_by_number_of_earlier_payouts() -> None:
    terms = PayoutTerms.of(
        program({"split_tiers": [{"after_payouts": 4, "pct": 90}, {"after_payouts": 2, "pct": 85}]})
    )
    assert terms is not None
    assert [terms.split_for(n) for n in range(7)] == [Decimal(p) for p in (80, 80, 85, 85, 90, 90, 90)]


def test_fifth_payout_at_90_percent_and_no_fee_refund_after_the_first() -> None:
    deals = Deals()
    deals.trade(1, prague("2026-04-02 09:00"), "1007.00")  # 1000.00 after commissions
    fifth = quote_at(deals, prague("2026-04-20 09:00"), previous=4).quote
    assert (fifth.payout_number, fifth.split_pct, fifth.split_share) == (5, Decimal(90), Decimal("900.00"))
    assert fifth.fee_refund == 0 and fifth.trader_share == Decimal("900.00")
    second = quote_at(deals, prague("2026-04-20 09:00"), previous=1).quote
    assert second.split_pct == Decimal(80) and second.fee_refund == 0


def test_fee_refund_only_where_the_program_says() -> None:
    deals = Deals()
    deals.trade(1, prague("2026-04-02 09:00"), "1007.00")
    now = prague("2026-04-20 09:00")
    assert quote_at(deals, now, prog=program({"refund_fee_on_first_payout": False})).quote.fee_refund == 0
    assert quote_at(deals, now, prog=program(fee=None)).quote.fee_refund == 0


def test_trader_share_is_rounded_down_to_the_currency_unit() -> None:
    deals = Deals()
    deals.trade(1, prague("2026-04-02 09:00"), "1004.57")  # 997.57 after commissions
    q = quote_at(deals, prague("2026-04-20 09:00")).quote
    assert q.split_share == Decimal("798.05")  # 798.056: ROUND_HALF_EVEN would say 798.06
    assert q.firm_share == Decimal("199.52")
    assert quantize(Decimal("1234.9"), "JPY") == Decimal("1234")
    assert quantize(Decimal("-0.005"), "USD") == Decimal("-0.00")


# -- positions and their deals ---------------------------------------------------------------------------
def test_a_position_counts_whole_with_its_in_commission_and_partial_closes() -> None:
    deals = Deals()
    t = prague("2026-04-02 09:00")
    deals.add(1, "in", t, commission="-7.00", volume="2")
    deals.add(1, "out", t + timedelta(hours=1), profit="300.00", commission="-3.50", volume="1")
    deals.add(1, "out", t + timedelta(hours=2), profit="250.00", commission="-3.50", swap="-1.25", volume="1")
    deals.add(2, "in", t, commission="-3.50", volume="2")
    deals.add(2, "out", t + timedelta(hours=1), profit="80.00", commission="-3.50", volume="1")  # half open
    closed, still_open = realised_positions(deals.deals)
    assert [(p.position, p.profit, p.deals) for p in closed] == [(1, Decimal("534.75"), (1, 2, 3))]
    assert still_open == [2]
    result = quote_at(deals, prague("2026-04-20 09:00"))
    assert result.quote.deals == (1, 2, 3)  # the open position's deals are not covered
    [denial] = result.denials
    assert (denial.code, denial.value, denial.limit) == ("no_open_positions", "1", "0")


def test_positions_the_snapshot_reports_open_count_too() -> None:
    deals = Deals()
    deals.trade(1, prague("2026-04-02 09:00"), "1007.00")
    result = quote_at(deals, prague("2026-04-20 09:00"), reported_positions=2)
    assert [(d.code, d.value) for d in result.denials] == [("no_open_positions", "2")]


# -- denials with value and limit ------------------------------------------------------------------------
def test_not_in_profit_and_min_amount() -> None:
    losing = Deals()
    losing.trade(1, prague("2026-04-02 09:00"), "-100.00")
    [denial] = quote_at(losing, prague("2026-04-20 09:00")).denials
    assert (denial.code, denial.value, denial.limit) == ("not_in_profit", "-107.00", "0")
    assert quote_at(losing, prague("2026-04-20 09:00")).quote.amount == 0

    small = Deals()
    small.trade(1, prague("2026-04-02 09:00"), "67.00")  # 60.00 → share 48.00 < 50
    [denial] = quote_at(small, prague("2026-04-20 09:00")).denials
    assert (denial.code, denial.value, denial.limit) == ("min_amount", "48.00", "50")


def test_not_funded_and_not_active_and_every_denial_at_once() -> None:
    deals = Deals()
    deals.trade(1, prague("2026-04-02 09:00"), "-10.00")
    result = quote_at(deals, prague("2026-04-05 09:00"), funded=False, active=False)
    assert codes(result) == {"not_funded", "account_not_active", "min_days", "not_in_profit"}
    no_split = parse_program({"id": "x", "account_size": "1000", "phases": [{"group": "g", "funded": True}]})
    assert "not_funded" in codes(
        assess(
            no_split,
            deals=[],
            previous_payouts=0,
            period_start=FUNDED_AT,
            now=FUNDED_AT,
            funded=True,
            active=True,
        )
    )


# -- E8 ---------------------------------------------------------------------------------------------------
def _e8_days(profits: list[str], pct: int) -> object:
    deals = Deals()
    for i, profit in enumerate(profits):
        deals.trade(i + 1, prague("2026-04-02 09:00") + timedelta(days=i), profit, commission="0")
    return quote_at(
        deals, prague("2026-04-20 09:00"), prog=program({"consistency_pct": pct, "payout_min_amount": "0"})
    )


def test_e8_signature_35_percent_best_day_blocks_the_payout() -> None:
    blocked = _e8_days(["1100", "900", "-400", "1500"], 35)
    [denial] = blocked.denials
    assert denial.code == "consistency"
    assert Decimal(denial.value) == 1500 and Decimal(denial.limit) == Decimal("1085")
    assert blocked.quote.best_day[1] == Decimal(1500)
    assert _e8_days(["500", "550", "-150", "600", "400"], 35).eligible  # 665 >= 600


def test_best_day_against_the_winning_days_where_the_funded_phase_says_so() -> None:
    # E8's days at 45%: 1,500 > 45% of the net 3,100 (1,395); 1,500 <= 45% of the winning 3,500 (1,575)
    days = ["1100", "900", "-400", "1500"]
    assert codes(_e8_days(days, 45)) == {"consistency"}
    deals = Deals()
    for i, profit in enumerate(days):
        deals.trade(i + 1, prague("2026-04-02 09:00") + timedelta(days=i), profit, commission="0")
    winning = program({"consistency_pct": 45, "consistency_basis": "winning_days", "payout_min_amount": "0"})
    assert quote_at(deals, prague("2026-04-20 09:00"), prog=winning).eligible
    blocked = quote_at(deals, prague("2026-04-20 09:00"), prog=program(
        {"consistency_pct": 35, "consistency_basis": "winning_days", "payout_min_amount": "0"}))
    [denial] = blocked.denials
    assert Decimal(denial.limit) == Decimal("1225") and "winning days' profit 3500" in denial.message


def test_topstep_five_winning_days_of_200_before_a_payout() -> None:
    # Topstep Express Funded (help 4410709082003): a payout after 5 winning days of at least $200 each
    # (one version of the threshold); they need not be consecutive.
    terms = {"min_profitable_days": 5, "profitable_day_amount": "200", "payout_min_amount": "0"}
    deals = Deals()
    for i, profit in enumerate(["200", "199.99", "350", "-500", "1000", "250"]):
        deals.trade(i + 1, prague("2026-04-02 09:00") + timedelta(days=i), profit, commission="0")
    four = quote_at(deals, prague("2026-04-20 09:00"), prog=program(terms))
    [denial] = four.denials
    assert (denial.code, denial.value, denial.limit) == ("profitable_days", "4", "5")
    assert [c.code for c in four.conditions if not c.met] == ["profitable_days"]
    deals.trade(9, prague("2026-04-09 09:00"), "200.00", commission="0")
    five = quote_at(deals, prague("2026-04-20 09:00"), prog=program(terms))
    assert five.eligible and any(c.code == "profitable_days" and c.met for c in five.conditions)


def test_e8_withdrawal_lowers_the_balance_and_leaves_the_trailing_floor() -> None:
    # E8 One: 6% below the highest closed balance, locked at the initial balance. Earn 3k, withdraw it.
    e8 = parse_program(
        {
            "id": "e8-one",
            "account_size": "100000",
            "day_reset": {"time": "00:00", "zone": "Etc/GMT-2"},
            "phases": [
                {
                    "name": "funded",
                    "group": "funded\\e8",
                    "funded": True,
                    "max_loss_pct": 6,
                    "max_loss_mode": "trailing_balance",
                    "trailing_lock": True,
                    "profit_split_pct": 80,
                }
            ],
        }
    )
    account = Account(e8, at="2026-04-01 08:00")
    account.trade("2026-04-02 09:00", "2026-04-02 10:00", 1, profit="3000")
    account.snap("2026-04-02 10:01", "103000")
    assert account.floor.level == Decimal("97000")

    deals = Deals()
    deals.trade(1, datetime(2026, 4, 2, 9, tzinfo=UTC), "3000", commission="0")
    q = assess(
        e8,
        deals=deals.deals,
        previous_payouts=0,
        period_start=datetime(2026, 4, 1, 8, tzinfo=UTC),
        now=datetime(2026, 4, 3, 9, tzinfo=UTC),
        funded=True,
        active=True,
    ).quote
    assert q.amount == Decimal("3000") and q.split_share == Decimal("2400.00")

    account.op("2026-04-03 09:00", f"-{q.amount}", "payout 1")  # the withdrawal, a balance operation
    account.snap("2026-04-03 09:01", "100000")
    assert account.floor.level == Decimal("97000")  # only 3k of room left, as E8 says
    assert account.decisions == []


def test_the_api_offers_exactly_the_documented_rejection_codes() -> None:
    import typing

    from propfirm.api.models import RejectRequest
    from propfirm.domain.payouts import REJECTION_CODES

    offered = typing.get_args(RejectRequest.model_fields["code"].annotation)
    assert set(offered) == set(REJECTION_CODES) and RejectRequest.model_fields["code"].default == "other"
