"""A phase's rules in plain words, for the trader's dashboard (pure). One sentence a rule, in the order a
trader meets them: the target, the loss limits, time, conduct, payouts."""

from __future__ import annotations

from decimal import Decimal

from propfirm.domain.money import pct_of
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
    if phase.profit_target_pct is not None and not phase.funded:
        target = size + pct_of(size, phase.profit_target_pct)
        words.append(
            f"Profit target: a balance of {_money(target, cur)} ({_pct(phase.profit_target_pct)} of the account "
            "size), with no position open."
        )
    if phase.min_trading_days:
        counted = {
            "opened": "a day you open a position",
            "opened_and_closed": "a day you open or close a position",
            "any_deal": "a day with any trade",
        }[program.trading_day]
        words.append(f"At least {phase.min_trading_days} trading days; {counted} counts as one.")
    if phase.consistency_pct is not None:
        words.append(
            f"Consistency: no single day may make more than {_pct(phase.consistency_pct)} of the total profit."
        )
    if phase.daily_loss_pct is not None:
        of = (
            f"{_pct(phase.daily_loss_pct)} of the account size ({_money(pct_of(size, phase.daily_loss_pct), cur)})"
            if phase.daily_loss_reference == "initial"
            else f"{_pct(phase.daily_loss_pct)} of that"
        )
        measured = "equity (open positions included)" if phase.daily_loss_open_pnl else "the balance"
        when = "at the day's close" if phase.daily_loss_evaluation == "end_of_day" else "at any moment"
        outcome = "trading pauses until the next reset" if phase.daily_loss_action == "pause" else "the account fails"
        words.append(
            f"Daily loss: the floor is {_BASIS[phase.daily_loss_basis]} at the {reset} reset minus {of}; "
            f"{measured} {touch} it {when}: {outcome}."
        )
    if phase.max_loss_pct is not None:
        amount = _money(pct_of(size, phase.max_loss_pct), cur)
        if phase.max_loss_mode == "static":
            words.append(
                f"Maximum loss: equity {touch} {_money(size - pct_of(size, phase.max_loss_pct), cur)} "
                f"(the account size minus {_pct(phase.max_loss_pct)}) fails the account."
            )
        else:
            lock = ""
            if phase.trailing_lock:
                lock = f"; it stops rising at {_money(size + phase.trailing_lock_offset, cur)}"
            words.append(
                f"Maximum loss: the floor trails {_TRAILING[phase.max_loss_mode]} by {amount} "
                f"({_pct(phase.max_loss_pct)} of the account size){lock}; equity {touch} it fails the account."
            )
    if phase.max_days is not None:
        words.append(f"Time limit: {phase.max_days} days from the phase's start.")
    if phase.inactivity_days is not None:
        words.append(f"Inactivity: no trade for {phase.inactivity_days} days ends the account.")
    if phase.max_lots is not None:
        words.append(f"At most {phase.max_lots.normalize():f} lots open at once.")
    if phase.max_positions is not None:
        words.append(f"At most {phase.max_positions} positions open at once.")
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
