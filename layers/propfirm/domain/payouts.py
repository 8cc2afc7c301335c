"""Payout arithmetic and eligibility for a funded challenge (pure: no I/O, no clock; `now` is given).

The period. A payout covers the trades closed since the last payout: the caller hands in the trade deals
of the funded stage that no earlier payout covers (rejected and failed payouts cover nothing). Deals are
grouped by MT5 position; a position is closed when its volume is back to zero, and then counts whole:

    realised P&L of a position = Σ (profit + swap + commission) of its deals, the IN deal's commission
                                 included (MT5 charges it on entry; it is part of the trade's cost)

Open positions count nothing (and make the request ineligible). A loss of a period without a payout
stays in the next period (its deals are still uncovered), so a loss is always made good before profit
is paid again.

The money:
- profit  = Σ realised P&L of the closed positions (exact); gross = profit rounded down (below).
- amount  = what is withdrawn from the MT5 account as a balance operation, by the program's
  `payout_withdraws`: `profit` (the default and the common practice) takes the whole gross, the firm's
  share included (FTMO: "the split is deducted even if the trader keeps the profit"), so the balance
  returns to where the period started (E8: withdraw 3k, balance 103k → 100k); `trader_share` takes only
  the trader's split share and leaves the firm's share in the account.
- split   = the program's `profit_split_pct`, or the tier of `split_tiers` with the highest
  `after_payouts` not above the number of earlier paid payouts (`{after_payouts: 4, pct: 90}`: the
  5th payout and later at 90%).
- trader_share = profit × split + the fee refund (`refund_fee_on_first_payout`, the program's `fee`,
  on the first payout only). The fee refund is the firm's money: it is not withdrawn from the account.

Rounding (a choice, written down): everything is exact Decimal until the end; then amounts are
quantized to the account currency's minor unit (cents for USD, none for JPY) with ROUND_DOWN, the
conservative choice firms make: the trader's share is never rounded up, and the amount withdrawn is
never more than the profit realised. The firm's share is what remains (gross − split share), so the
two always add up exactly to the gross.

The balance cross-check (`balance_check`): the deals must explain the account's balance. Over the funded
stage, balance − (size + the stage's balance operations, earlier withdrawals included) is the trading
result of the stage, which must equal the profit of the payouts already paid in it plus this payout's
profit. A difference (a deal the store missed, a commission charged as its own deal, a manual
adjustment) is flagged for a person to review; it is never paid silently.

Eligibility: every rule that fails is a `Denial` with its code, the value found and the limit:
- `not_funded`: the challenge is not in a funded stage (or its program has no payout terms);
- `account_not_active`: the challenge failed or ended;
- `no_open_positions`: positions are open (by the deals, or by the last snapshot's position count);
- `min_days`: fewer than `payout_min_days` calendar days (the program's day reset and zone) since the
  funded stage started or since the last payout; 1 April → eligible from 15 April for 14 days;
- `not_in_profit`: the period's realised P&L is zero or negative;
- `min_amount`: the trader's split share is below `payout_min_amount` (The5ers' minimum is after the
  split; the fee refund does not count towards it);
- `consistency`: where the funded phase has `consistency_pct`, the best trading day's profit (positions
  attributed to the trading day they closed in) must not exceed that share of the period's net profit
  (losing days included, E8's definition): +1100, +900, −400, +1500 at 35% → 1500 > 1085, denied;
  with `consistency_basis: winning_days`, of the period's winning days' profit (3500 → 1225, denied);
- `profitable_days`: where the funded phase has `min_profitable_days`, the period needs that many trading
  days whose realised profit reaches the phase's threshold (Topstep's winning days: 5 days of $200).

Size: the period, the split, the fee refund and the eligibility conditions are one calculation that the
payouts worker, the API's eligibility and `propfirm explain` must agree on; each step is a short function.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from typing import Any

from propfirm.domain.money import HUNDRED, ZERO, currency_digits
from propfirm.domain.programs import Phase, Program
from propfirm.domain.tradingday import DayClock


# -- denial codes ---------------------------------------------------------------------------------------
class PayoutStatus(StrEnum):
    """A payout's state, one vocabulary for the workflow, the store and the API."""

    REQUESTED = "requested"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    WITHDRAWING = "withdrawing"
    MANUAL_REVIEW = "manual_review"
    PAID = "paid"
    REJECTED = "rejected"
    FAILED = "failed"


OPEN_STATUSES = (PayoutStatus.REQUESTED, PayoutStatus.AWAITING_APPROVAL, PayoutStatus.APPROVED,
                 PayoutStatus.WITHDRAWING, PayoutStatus.MANUAL_REVIEW)
FINAL_STATUSES = (PayoutStatus.PAID, PayoutStatus.REJECTED, PayoutStatus.FAILED)


NOT_FUNDED = "not_funded"
ACCOUNT_NOT_ACTIVE = "account_not_active"
OPEN_POSITIONS = "no_open_positions"
MIN_DAYS = "min_days"
NOT_IN_PROFIT = "not_in_profit"
MIN_AMOUNT = "min_amount"
CONSISTENCY = "consistency"
PROFITABLE_DAYS = "profitable_days"

# -- rejection codes: why a person rejected a payout request (the trader sees the code and the note) --------
REJECTION_CODES: dict[str, str] = {
    "rule_violation": "a rule of the program was broken in the period (the note names it and the deals)",
    "prohibited_strategy": "trading the program's terms forbid (copy trading, arbitrage, tick scalping, ...)",
    "kyc_incomplete": "the trader's identity or payment details are not verified yet",
    "balance_mismatch": "the deals do not explain the account's balance (see the payout's flags)",
    "duplicate_request": "the same period was asked for twice",
    "other": "anything else, said in the note",
}

ROUNDING = ROUND_DOWN  # see the module docstring

_OPENING = frozenset(("in", "inout"))


@dataclass(frozen=True)
class Denial:
    """One reason a payout cannot be requested now."""

    code: str
    value: str | None  # what was found (money and counts as strings)
    limit: str | None  # the rule's limit
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "value": self.value, "limit": self.limit, "message": self.message}


@dataclass(frozen=True)
class Condition:
    """One payout condition as the trader's self-check shows it, met or not: the value found, the
    limit, and for an unmet condition that time alone will meet, the instant it will be met."""

    code: str  # the denial code it gives when unmet
    met: bool
    value: str | None
    limit: str | None
    met_from: datetime | None  # unmet and met by waiting: from when; None otherwise
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "met": self.met,
            "value": self.value,
            "limit": self.limit,
            "met_from": None if self.met_from is None else self.met_from.isoformat(),
            "message": self.message,
        }


@dataclass(frozen=True)
class TradeDeal:
    """A buy/sell fill of the funded account (the `deals` table's rows with role `trade`)."""

    ticket: int
    position: int
    time: datetime
    entry: str  # in | out | inout | out_by
    volume: Decimal
    profit: Decimal
    commission: Decimal
    swap: Decimal

    @property
    def result(self) -> Decimal:
        return self.profit + self.swap + self.commission


@dataclass(frozen=True)
class ClosedPosition:
    position: int
    closed_at: datetime
    profit: Decimal  # Σ profit + swap + commission of its deals
    deals: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "closed_at": self.closed_at.isoformat(),
            "profit": str(self.profit),
            "deals": list(self.deals),
        }


@dataclass(frozen=True)
class PayoutTerms:
    """The program's payout terms (its funded phase and its fee)."""

    currency: str
    split_pct: Decimal
    split_tiers: tuple[tuple[int, Decimal], ...]  # (after_payouts, pct), ascending
    min_days: int
    min_amount: Decimal
    refund_fee_on_first_payout: bool
    fee: Decimal
    consistency_pct: Decimal | None
    withdraws: str = "profit"  # the program's payout_withdraws: "profit" | "trader_share"
    consistency_winning: bool = False  # the best day against the winning days' sum, not the net profit
    min_profitable_days: int = 0
    profitable_threshold: Decimal = ZERO  # the least profit of a profitable day (0: any profit)

    @classmethod
    def of(cls, program: Program) -> PayoutTerms | None:
        """The terms of the program's funded stage; None without one (or without a split)."""
        phase: Phase = program.phases[-1]
        if not phase.funded or phase.profit_split_pct is None:
            return None
        return cls(
            currency=program.currency,
            split_pct=phase.profit_split_pct,
            split_tiers=tuple(sorted((t.after_payouts, t.pct) for t in phase.split_tiers)),
            min_days=phase.payout_min_days or 0,
            min_amount=phase.payout_min_amount or ZERO,
            refund_fee_on_first_payout=phase.refund_fee_on_first_payout,
            fee=program.fee or ZERO,
            consistency_pct=phase.consistency_pct,
            withdraws=phase.payout_withdraws,
            consistency_winning=phase.consistency_basis == "winning_days",
            min_profitable_days=phase.min_profitable_days,
            profitable_threshold=phase.profitable_day_threshold(program.account_size),
        )

    def split_for(self, previous_payouts: int) -> Decimal:
        """The split of the next payout, given how many were paid before it."""
        pct = self.split_pct
        for after, tier_pct in self.split_tiers:
            if previous_payouts >= after:
                pct = tier_pct
        return pct


@dataclass(frozen=True)
class PayoutQuote:
    """What a payout requested now would be."""

    currency: str
    payout_number: int  # 1 for the first
    period_start: datetime  # the funded stage's start, or the last payout
    period_end: datetime  # now
    profit: Decimal  # exact
    gross: Decimal  # the profit rounded down (zero when not positive): split_share + firm_share
    amount: Decimal  # withdrawn from the account: the gross, or the split share (payout_withdraws)
    split_pct: Decimal
    split_share: Decimal  # the trader's part of the profit, rounded down
    fee_refund: Decimal
    trader_share: Decimal  # split_share + fee_refund
    firm_share: Decimal  # gross - split_share
    positions: tuple[ClosedPosition, ...]
    deals: tuple[int, ...]  # every deal ticket covered, ascending
    open_positions: tuple[int, ...]
    eligible_from: datetime  # the instant the minimum-days rule is met
    best_day: tuple[date, Decimal] | None  # (trading day, profit) for the consistency rule

    def to_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "payout_number": self.payout_number,
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "profit": str(self.profit),
            "gross": str(self.gross),
            "amount": str(self.amount),
            "split_pct": str(self.split_pct),
            "split_share": str(self.split_share),
            "fee_refund": str(self.fee_refund),
            "trader_share": str(self.trader_share),
            "firm_share": str(self.firm_share),
            "positions": [p.to_dict() for p in self.positions],
            "deals": list(self.deals),
            "open_positions": list(self.open_positions),
            "eligible_from": self.eligible_from.isoformat(),
            "best_day": None
            if self.best_day is None
            else {"day": self.best_day[0].isoformat(), "profit": str(self.best_day[1])},
        }


@dataclass(frozen=True)
class PayoutAssessment:
    quote: PayoutQuote
    denials: tuple[Denial, ...]
    conditions: tuple[Condition, ...] = ()  # every condition, met or not (the denials are the unmet)

    @property
    def eligible(self) -> bool:
        return not self.denials


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Rounded down to the currency's minor unit (the conservative side for the firm and the trader)."""
    return amount.quantize(Decimal(1).scaleb(-currency_digits(currency)), rounding=ROUNDING)


def realised_positions(deals: list[TradeDeal]) -> tuple[list[ClosedPosition], list[int]]:
    """(closed positions, open position ids) of these deals, volumes tracked as the rule engine does."""
    by_position: dict[int, list[TradeDeal]] = defaultdict(list)
    for deal in sorted(deals, key=lambda d: (d.time, d.ticket)):
        by_position[deal.position].append(deal)
    closed: list[ClosedPosition] = []
    still_open: list[int] = []
    for position, fills in by_position.items():
        volume = ZERO
        for fill in fills:
            if fill.entry == "inout":  # a reversal (netting accounts): the position stays open
                volume = fill.volume
            elif fill.entry in _OPENING:
                volume += fill.volume
            else:
                volume -= fill.volume
        if volume > ZERO:
            still_open.append(position)
            continue
        closed.append(
            ClosedPosition(
                position=position,
                closed_at=fills[-1].time,
                profit=sum((f.result for f in fills), ZERO),
                deals=tuple(f.ticket for f in fills),
            )
        )
    closed.sort(key=lambda p: (p.closed_at, p.position))
    return closed, sorted(still_open)


def day_profits(positions: list[ClosedPosition], clock: DayClock) -> dict[date, Decimal]:
    """Each trading day's realised profit, positions attributed to the day they closed in."""
    days: dict[date, Decimal] = defaultdict(lambda: ZERO)
    label, next_reset = None, None
    for p in sorted(positions, key=lambda p: p.closed_at):
        if next_reset is None or p.closed_at >= next_reset:  # the zone arithmetic once per trading day
            label, _, next_reset = clock.day_of(p.closed_at)
        days[label] += p.profit  # type: ignore[index]
    return dict(days)


def assess(
    program: Program,
    *,
    deals: list[TradeDeal],
    previous_payouts: int,
    period_start: datetime,
    now: datetime,
    funded: bool,
    active: bool,
    reported_positions: int | None = None,
) -> PayoutAssessment:
    """The quote and every denial for a payout requested at `now`.

    `deals`: the funded stage's trade deals no earlier payout covers; `previous_payouts`: paid payouts
    so far; `period_start`: the funded stage's start or the last paid payout's request;
    `reported_positions`: the open positions the last snapshot listed (None: unknown).
    """
    terms = PayoutTerms.of(program)
    clock = DayClock(program.day_reset.time_of_day, program.day_reset.zone)
    denials: list[Denial] = []
    if terms is None:
        terms = PayoutTerms(program.currency, ZERO, (), 0, ZERO, False, ZERO, None)
        denials.append(
            Denial(NOT_FUNDED, None, None, f"program {program.id} has no funded stage with a split")
        )
    elif not funded:
        denials.append(Denial(NOT_FUNDED, None, None, "the challenge has not reached its funded stage"))
    if not active:
        denials.append(Denial(ACCOUNT_NOT_ACTIVE, None, None, "the account is no longer active"))

    positions, still_open = realised_positions(deals)
    profit = sum((p.profit for p in positions), ZERO)
    currency = terms.currency
    gross = quantize(profit, currency) if profit > ZERO else ZERO
    split_pct = terms.split_for(previous_payouts)
    split_share = quantize(profit * split_pct / HUNDRED, currency) if profit > ZERO else ZERO
    amount = split_share if terms.withdraws == "trader_share" else gross
    first = previous_payouts == 0
    fee_refund = terms.fee if first and terms.refund_fee_on_first_payout else ZERO
    eligible_from = clock.add_days(clock.day_start(period_start), terms.min_days)
    days = day_profits(positions, clock)
    top = max(days.items(), key=lambda item: (item[1], item[0])) if days else None
    winning = sum((p for p in days.values() if p > ZERO), ZERO)
    profitable = sum(1 for p in days.values() if p > ZERO and p >= terms.profitable_threshold)
    quote = PayoutQuote(
        currency=currency,
        payout_number=previous_payouts + 1,
        period_start=period_start,
        period_end=now,
        profit=profit,
        gross=gross,
        amount=amount,
        split_pct=split_pct,
        split_share=split_share,
        fee_refund=fee_refund,
        trader_share=split_share + fee_refund,
        firm_share=gross - split_share,
        positions=tuple(positions),
        deals=tuple(sorted(t for p in positions for t in p.deals)),
        open_positions=tuple(still_open),
        eligible_from=eligible_from,
        best_day=top,
    )

    open_count = max(len(still_open), reported_positions or 0)
    if open_count:
        denials.append(
            Denial(OPEN_POSITIONS, str(open_count), "0", f"{open_count} position(s) open; close them first")
        )
    if now < eligible_from:
        elapsed = (clock.day_of(now)[0] - clock.day_of(period_start)[0]).days
        denials.append(
            Denial(
                MIN_DAYS,
                str(elapsed),
                str(terms.min_days),
                f"{elapsed} of {terms.min_days} days since {period_start.isoformat()};"
                f" eligible from {eligible_from.isoformat()}",
            )
        )
    if profit <= ZERO:
        denials.append(Denial(NOT_IN_PROFIT, str(profit), "0", "no realised profit since the last payout"))
    elif split_share < terms.min_amount:
        denials.append(
            Denial(
                MIN_AMOUNT,
                str(split_share),
                str(terms.min_amount),
                f"the share of {split_share} {currency} is below the minimum payout",
            )
        )
    if terms.consistency_pct is not None and profit > ZERO and top is not None:
        total, of_what = (winning, "winning days' profit") if terms.consistency_winning else (profit, "profit")
        limit = total * terms.consistency_pct / HUNDRED
        if top[1] > limit:
            denials.append(
                Denial(
                    CONSISTENCY,
                    str(top[1]),
                    str(limit),
                    f"best day {top[0].isoformat()} made {top[1]}, more than {terms.consistency_pct}%"
                    f" of the period's {of_what} {total}",
                )
            )
    if profitable < terms.min_profitable_days:
        denials.append(
            Denial(
                PROFITABLE_DAYS,
                str(profitable),
                str(terms.min_profitable_days),
                f"{profitable} of {terms.min_profitable_days} profitable days (a profit of at least "
                f"{terms.profitable_threshold} {currency}) since the last payout",
            )
        )
    conditions = _conditions(denials, quote, terms, clock, now, open_count, profitable)
    return PayoutAssessment(quote, tuple(denials), conditions)


def _conditions(
    denials: list[Denial],
    quote: PayoutQuote,
    terms: PayoutTerms,
    clock: DayClock,
    now: datetime,
    open_count: int,
    profitable: int = 0,
) -> tuple[Condition, ...]:
    """Every condition of `assess`, in the order a trader meets them, each met or not."""
    unmet = {d.code: d for d in denials}
    elapsed = (clock.day_of(now)[0] - clock.day_of(quote.period_start)[0]).days
    met_messages = {
        NOT_FUNDED: (None, None, "the challenge is in its funded stage"),
        ACCOUNT_NOT_ACTIVE: (None, None, "the account is active"),
        OPEN_POSITIONS: (str(open_count), "0", "no position is open"),
        MIN_DAYS: (str(elapsed), str(terms.min_days),
                   f"{elapsed} days since {quote.period_start.isoformat()}, at least {terms.min_days}"),
        NOT_IN_PROFIT: (str(quote.profit), "0", f"realised profit {quote.profit} since the last payout"),
        MIN_AMOUNT: (str(quote.split_share), str(terms.min_amount),
                     f"the share of {quote.split_share} {quote.currency} reaches the minimum payout"),
        CONSISTENCY: (None if quote.best_day is None else str(quote.best_day[1]), None,
                      "no single day made more than the allowed share of the profit"),
        PROFITABLE_DAYS: (str(profitable), str(terms.min_profitable_days),
                          f"{profitable} profitable days since the last payout, at least {terms.min_profitable_days}"),
    }
    codes = [NOT_FUNDED, ACCOUNT_NOT_ACTIVE, OPEN_POSITIONS, MIN_DAYS, NOT_IN_PROFIT, MIN_AMOUNT]
    if terms.consistency_pct is not None:
        codes.append(CONSISTENCY)
    if terms.min_profitable_days:
        codes.append(PROFITABLE_DAYS)
    out = []
    for code in codes:
        denial = unmet.get(code)
        if code == MIN_AMOUNT and NOT_IN_PROFIT in unmet and terms.min_amount > ZERO:
            # no profit: the minimum amount cannot be judged yet; it is unmet with the same share of zero
            denial = Denial(MIN_AMOUNT, "0", str(terms.min_amount), "no profit yet to pay a share of")
        if denial is None:
            value, limit, message = met_messages[code]
            out.append(Condition(code, True, value, limit, None, message))
        else:
            waits = quote.eligible_from if code == MIN_DAYS else None  # time alone meets only this one
            out.append(Condition(code, False, denial.value, denial.limit, waits, denial.message))
    return tuple(out)


@dataclass(frozen=True)
class BalanceCheck:
    """Do the deals explain the balance? (the module docstring: the balance cross-check)"""

    balance: Decimal  # the account's balance now (its last snapshot)
    stage_start: Decimal  # the account size plus the stage's balance operations (withdrawals included)
    paid_before: Decimal  # the profit of the payouts already paid in the stage
    profit: Decimal  # this payout's profit, from its deals
    expected: Decimal  # balance - stage_start - paid_before: the profit the balance says is unpaid
    difference: Decimal  # expected - profit

    @property
    def ok(self) -> bool:
        return self.difference == ZERO

    def to_dict(self) -> dict[str, Any]:
        return {
            "balance": str(self.balance),
            "stage_start": str(self.stage_start),
            "paid_before": str(self.paid_before),
            "profit": str(self.profit),
            "expected": str(self.expected),
            "difference": str(self.difference),
            "ok": self.ok,
        }


def balance_check(
    *, balance: Decimal, size: Decimal, stage_balance_ops: Decimal, paid_before: Decimal, profit: Decimal
) -> BalanceCheck:
    """The payout's profit (from its deals) against the balance: with no position open, the balance above
    the stage's start, less what was already paid out of it, is exactly the profit not yet paid."""
    stage_start = size + stage_balance_ops
    expected = balance - stage_start - paid_before
    return BalanceCheck(balance, stage_start, paid_before, profit, expected, expected - profit)
