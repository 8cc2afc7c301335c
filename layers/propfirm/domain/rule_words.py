"""A phase's rules in plain words, for the trader's dashboard (pure). One sentence a rule, in the order a
trader meets them: the target, the loss limits, time, conduct, payouts."""

from __future__ import annotations

from decimal import Decimal

from propfirm.domain.money import ZERO, pct_of
from propfirm.domain.programs import Phase, Program


def _money(amount: Decimal, currency: str) -> str:
    whole, _, fraction = f"{amount:.2f}".partition(".")
    return f"{int(whole):,}.{fraction} {currency}"


def _pct(value: Decimal) -> str:
    return f"{value.normalize():f}%"


_BASIS = {
    "balance": "the balance",
    "equity": "the equity",
    "balance_or_equity": "the higher of balance and equity",
    "initial": "the account size",
    "intraday_high": "the highest equity since",
}
_TRAILING = {
    "trailing_intraday": "the highest equity reached, even during the day",
    "trailing_balance": "the highest balance",
    "trailing_eod": "the highest balance at a day's close",
}


def describe_phase(program: Program, index: int) -> list[str]:
    phase: Phase = program.phases[index]
    size, cur = program.account_size, program.currency
    reset = f"{program.day_reset.time} {program.day_reset.zone}"
    touch = "at or below" if phase.breach_at == "touch" else "below"
    words: list[str] = []
    target_profit = phase.target_profit(size)
    if target_profit is not None:
        given = (
            f" ({_pct(phase.profit_target_pct)} of the account size)" if phase.profit_target_pct is not None else ""
        )
        words.append(
            f"Profit target: a balance of {_money(size + target_profit, cur)}{given}, with no position open."
        )
        if phase.daily_profit_cap_pct is not None:
            day_cap = pct_of(target_profit, phase.daily_profit_cap_pct)
            words.append(
                f"A single day's profit counts toward the target up to {_money(day_cap, cur)} "
                f"({_pct(phase.daily_profit_cap_pct)} of the target); the balance must make up for any day above it."
            )
    if phase.min_trading_days:
        counted = {
            "opened": "a day you open a position",
            "opened_and_closed": "a day you open or close a position",
            "any_deal": "a day with any trade",
        }[program.trading_day]
        qualifies = []
        if phase.qualifying_day_min_lots is not None:
            qualifies.append(f"open at least {phase.qualifying_day_min_lots.normalize():f} lots")
        if phase.qualifying_day_min_value_pct is not None:
            opened = _money(pct_of(size, phase.qualifying_day_min_value_pct), cur)
            qualifies.append(f"open trades worth at least {opened} in all")
        if phase.qualifying_day_min_result_pct is not None:
            move = _money(pct_of(size, phase.qualifying_day_min_result_pct), cur)
            qualifies.append(f"move the balance by at least {move} either way")
        if phase.has_trade_qualifier:
            worth = phase.qualifying_trade_value(size)
            trade = f"a trade worth at least {_money(worth, cur)}" if worth else "a trade"
            if phase.qualifying_trade_min_result_pct is not None:
                trade += f" that gained or lost at least {_pct(phase.qualifying_trade_min_result_pct)} of its value"
            qualifies.append(f"close {trade}")
        condition = f" if you also {' and '.join(qualifies)} that day" if qualifies else ""
        words.append(f"At least {phase.min_trading_days} trading days; {counted} counts as one{condition}.")
    if phase.min_profitable_days:
        threshold = phase.profitable_day_threshold(size)
        least = f" of at least {_money(threshold, cur)}" if threshold else ""
        words.append(f"At least {phase.min_profitable_days} profitable days: days closing with a profit{least}.")
    if phase.consistency_pct is not None:
        of = "the winning days' profit" if phase.consistency_basis == "winning_days" else "the total profit"
        words.append(f"Consistency: no single day may make more than {_pct(phase.consistency_pct)} of {of}.")
    if phase.has_daily_loss:
        fixed = phase.fixed_daily_limit(size)
        if phase.daily_loss_amount is not None:
            of = _money(phase.daily_loss_amount, cur)
        elif fixed is not None:
            of = f"{_pct(phase.daily_loss_pct or Decimal(0))} of the account size ({_money(fixed, cur)})"
        else:
            of = f"{_pct(phase.daily_loss_pct or Decimal(0))} of that"
        measured = "equity (open positions included)" if phase.daily_loss_open_pnl else "the balance"
        when = "at the day's close" if phase.daily_loss_evaluation == "end_of_day" else "at any moment"
        outcome = "trading pauses until the next reset" if phase.daily_loss_action == "pause" else "the account fails"
        at = "the" if phase.daily_loss_basis == "intraday_high" else "at the"
        words.append(
            f"Daily loss: the floor is {_BASIS[phase.daily_loss_basis]} {at} {reset} reset minus {of}; "
            f"{measured} {touch} it {when}: {outcome}."
        )
    max_limit = phase.max_loss_limit(size)
    if max_limit is not None:
        amount = _money(max_limit, cur)
        given = f"{_pct(phase.max_loss_pct)} of the account size" if phase.max_loss_pct is not None else ""
        if phase.max_loss_mode == "static":
            minus = _pct(phase.max_loss_pct) if phase.max_loss_pct is not None else amount
            words.append(
                f"Maximum loss: equity {touch} {_money(size - max_limit, cur)} (the account size minus {minus}) "
                "fails the account."
            )
        else:
            lock = ""
            if phase.trailing_lock:
                lock = f"; it stops rising at {_money(size + phase.trailing_lock_offset, cur)}"
            words.append(
                f"Maximum loss: the floor trails {_TRAILING[phase.max_loss_mode]} by {amount}"
                f"{f' ({given})' if given else ''}{lock}; equity {touch} it fails the account."
            )
    trade_limit = phase.trade_loss_limit(size)
    if trade_limit is not None:
        outcome = "fails the account" if phase.max_trade_loss_action == "fail" else "breaks the rule"
        words.append(f"Per trade: a position losing {_money(trade_limit, cur)} or more {outcome}.")
    if phase.max_days is not None:
        words.append(f"Time limit: {phase.max_days} days from the phase's start.")
    if phase.inactivity_days is not None:
        words.append(f"Inactivity: no trade for {phase.inactivity_days} days ends the account.")
    if phase.max_lots is not None:
        words.append(f"At most {phase.max_lots.normalize():f} lots open at once.")
    if phase.max_positions is not None:
        words.append(f"At most {phase.max_positions} positions open at once.")
    for cap in phase.exposure_caps:
        if cap.max_lots is not None:
            most = f"{cap.max_lots.normalize():f} lots open at once"
        else:
            share = cap.max_value_pct or ZERO
            held = _money(pct_of(size, share), cur)
            most = f"positions worth {held} ({_pct(share)} of the account size) at once"
        words.append(f"At most {most} in {cap.name} ({', '.join(cap.symbols)}).")
    if not phase.weekend_holding:
        words.append("No position may be held over the weekend.")
    if phase.news_blackout_minutes is not None:
        words.append(
            f"No position may be opened within {phase.news_blackout_minutes.normalize():f} minutes of a listed "
            "news release."
        )
    if phase.funded and phase.profit_split_pct is not None:
        words.append(
            f"Payouts: {_pct(phase.profit_split_pct)} of the realised profit"
            + (f", at least {phase.payout_min_days} days apart" if phase.payout_min_days else "")
            + (f", from {_money(phase.payout_min_amount, cur)}" if phase.payout_min_amount else "")
            + "."
        )
    return words
