"""The plain-language account of a decision, from its explanation record (pure). One function, used by
`propfirm explain` and the API alike, so a trader and support read the same words.

Amounts are shown with thousands separators and at least two decimals, never rounded (the record keeps
them exact); times in the program's zone, where its trading day resets, with UTC alongside.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from propfirm.domain import decisions as d
from propfirm.domain.money import display

_PARTS = (
    ("open_positions", "the open positions (price, spread and swap while open)"),
    ("closed_profit", "trades closed"),
    ("commission", "commission"),
    ("swap", "swap booked on closing"),
    ("balance_operations", "balance operations"),
    ("other_balance", "other balance changes MT5 reported"),
)


def money(value: str | Decimal | None) -> str:
    if value is None:
        return "none"
    amount = Decimal(value)
    text = display(abs(amount))
    whole, _, fraction = text.partition(".")
    grouped = f"{int(whole):,}" + (f".{fraction}" if fraction else "")
    return ("−" if amount < 0 else "") + grouped


def _clock(record: dict[str, Any]) -> str:
    local = datetime.fromisoformat(record["local_time"])
    utc = datetime.fromisoformat(record["decided_at"])
    return (f"{local:%Y-%m-%d %H:%M:%S} {record['zone']} time ({utc:%H:%M:%S} UTC)"
            if record["zone"] != "UTC" else f"{utc:%Y-%m-%d %H:%M:%S} UTC")


def _when(text: str | None, zone_record: dict[str, Any]) -> str:
    if text is None:
        return "never"
    from zoneinfo import ZoneInfo

    moment = datetime.fromisoformat(text).astimezone(ZoneInfo(zone_record["zone"]))
    return f"{moment:%Y-%m-%d %H:%M} {zone_record['zone']}"


def _daily(floor: dict[str, Any], size: str) -> str:
    basis = floor["basis"]
    reset = f"the {floor['reset_time']} {floor['zone']} reset"
    if basis == "initial":
        start = f"the account size of {money(size)}"
    elif basis == "intraday_high" and floor["basis_value"] is not None:
        start = f"the day's highest equity since {reset}, {money(floor['basis_value'])},"
    elif floor["basis_value"] is not None:
        word = {"balance": "balance", "equity": "equity", "balance_or_equity": "higher of balance and equity"}
        start = f"the {word[basis]} of {money(floor['basis_value'])} at {reset}"
    else:
        start = f"the {basis} at {reset}"
    if floor["pct"] is None:  # the program gives the limit as an amount of money
        return f"The daily floor was {money(floor['level'])}: {start} minus {money(floor['amount'])}."
    share = "of the account size" if floor["reference"] == "initial" else "of that"
    amount = f" ({money(floor['amount'])})" if floor["amount"] is not None else ""
    return f"The daily floor was {money(floor['level'])}: {start} minus {floor['pct']}% {share}{amount}."


def _max(floor: dict[str, Any], size: str) -> str:
    level = money(floor["level"])
    limit = (f"{floor['pct']}% ({money(floor['amount'])})" if floor["pct"] is not None
             else money(floor["amount"]))
    if floor["mode"] == "static":
        return (f"The maximum-loss floor was {level}: the account size of {money(size)} minus "
                f"{limit}, fixed for the phase.")
    kind = {
        "trailing_intraday": "the highest equity seen",
        "trailing_balance": "the highest balance",
        "trailing_eod": "the highest balance at a day's close",
    }[floor["mode"]]
    of_size = (f"{floor['pct']}% of the account size ({money(floor['amount'])})" if floor["pct"] is not None
               else money(floor["amount"]))
    text = f"The maximum-loss floor was {level}: {kind} ({money(floor['high_water'])}) minus {of_size}"
    if floor["locked"]:
        text += f", stopped at its lock of {money(floor['lock'])}"
    return text + "."


def _movement(record: dict[str, Any]) -> str:
    parts = record.get("attribution")
    if not parts:
        return ""
    total = Decimal(parts["total"])
    if total == 0:
        return " Equity had not moved since the previous check."
    named = [(Decimal(parts[k]), words) for k, words in _PARTS if Decimal(parts[k]) != 0]
    direction = "fall" if total < 0 else "rise"
    since = record["facts"].get("previous_check")
    when = f" (at {_when(since, record)})" if since else ""
    pieces = ", ".join(f"{money(amount)} from {words}" for amount, words in named)
    return f" Of the {money(abs(total))} {direction} since the previous check{when}: {pieces}."


def _positions(record: dict[str, Any]) -> str:
    positions = record.get("positions")
    if not positions:
        return ""
    shown = []
    for p in positions:
        unit = "lot" if Decimal(p["volume"]) == 1 else "lots"
        text = f"{p['symbol']} {p['side']} {p['volume']} {unit}"
        if p.get("price") is not None:
            quote = "bid" if p["side"] == "buy" else "ask"
            text += f" opened at {p['open']}, valued at {p['price']} ({quote}), floating {money(p['profit'])}"
            if p.get("swap") not in (None, "0", "0.00"):
                text += f", swap {money(p['swap'])}"
        shown.append(text)
    return " Open then: " + "; ".join(shown) + "."


def describe(record: dict[str, Any]) -> str:
    """The account of one decision (`record` as `propfirm.explain.service.explain_transition` builds it)."""
    if record.get("manual"):
        return (f"An operator ({record.get('operator') or 'unnamed'}) recorded '{record['decision']}' at "
                f"{_clock(record)}, with the reason: {record.get('note') or 'none given'}. "
                "A manual decision is not recomputed; the audit log holds who made it.")
    if record.get("abuse"):
        finding = record["abuse"]
        others = [str(login) for login in finding["logins"]]
        return (f"The {finding['detector'].replace('_', ' ')} detector found a pattern across accounts "
                f"{', '.join(others)} (finding {finding['finding_id']}, score {finding['score']}), recorded at "
                f"{_clock(record)}. This program restricts an account on such a finding; it is not a failure: "
                "a risk officer reviews the finding with its deals, and only a confirmed finding may fail the "
                "challenge.")
    if not record.get("replayed"):
        return (f"{record['decision']} ({record['reason']}) at {_clock(record)}, equity {money(record['equity'])}. "
                "This decision cannot be recomputed: " + "; ".join(record["differences"]) + ".")
    reason, decision, facts = record["reason"], record["decision"], record["facts"]
    size = facts["account_size"]
    floors = record.get("floors") or {}
    when = _clock(record)
    if reason in (d.DAILY_LOSS, d.MAX_LOSS) and decision in (d.FAILED, d.RESTRICTED):
        floor = floors.get("daily" if reason == d.DAILY_LOSS else "max")
        rule = (_daily(floor, size) if reason == d.DAILY_LOSS else _max(floor, size)) if floor else ""
        touch = "at or below" if floors.get("breach_at", "touch") == "touch" else "below"
        outcome = ("the challenge failed." if decision == d.FAILED
                   else f"trading is paused until the next reset ({_when(facts['next_reset'], record)}).")
        text = (f"Your equity reached {money(record['equity'])} at {when}. {rule} "
                f"Equity {touch} the floor breaks the rule; {outcome}")
        text += _movement(record) + _positions(record)
    elif reason == d.PROFIT_TARGET:
        days = (f" and the minimum of {facts['min_trading_days']} trading days was met"
                if facts["min_trading_days"] else "")
        of_what = ("the winning days' profit" if facts.get("consistency_basis") == "winning_days"
                   else "the profit")
        consistency = (f" and no day made more than {facts['consistency_pct']}% of {of_what}"
                       if facts.get("consistency_pct") else "")
        if facts.get("min_profitable_days"):
            consistency += f" and {facts['min_profitable_days']} profitable days were reached"
        stage = "You are funded." if decision == d.FUNDED else "The next phase begins."
        target = (f"{facts['profit_target_pct']}%" if facts.get("profit_target_pct") is not None
                  else money(facts.get("profit_target_amount")))
        capped = ""
        if facts.get("daily_profit_cap"):
            capped = (f" (a day's profit counts up to {money(facts['daily_profit_cap'])}; the balance makes up "
                      "for any day above it)")
        text = (f"Your balance reached {money(facts['balance'])} (equity {money(record['equity'])}) at {when}, "
                f"at or above the target of {money(record['limit'])}: the account size of {money(size)} plus "
                f"{target}{capped}{days}{consistency}. {stage}")
    elif reason == d.MAX_DAYS:
        text = (f"The phase's time limit of {facts['max_days']} days ended at {when} before the profit target "
                f"was reached. Equity was {money(record['equity'])}.")
    elif reason == d.INACTIVITY:
        text = (f"No trade was placed for {facts['inactivity_days']} days (the last at "
                f"{_when(facts['last_deal_at'], record)}); the rule ended the challenge at {when}.")
    elif reason == d.MAX_LOTS:
        text = (f"At {when} the open volume was {facts.get('open_lots', '?')} lots, above the maximum of "
                f"{record['limit']} lots." + _positions(record))
    elif reason == d.MAX_POSITIONS:
        text = (f"At {when} {facts.get('open_positions', '?')} positions were open, above the maximum of "
                f"{record['limit']}." + _positions(record))
    elif reason == d.WEEKEND_HOLDING:
        text = (f"Positions were held over the weekend, which this phase does not allow; seen at {when}."
                + _positions(record))
    elif reason == d.MAX_TRADE_LOSS:
        outcome = "the challenge failed." if decision == d.FAILED else "the rule is recorded as broken."
        text = (f"At {when} a position had lost {money(record['limit'])} or more (its closed and floating result, "
                f"commission and swap included), the most one trade may lose: {outcome}" + _positions(record))
    elif reason == d.EXPOSURE_CAP:
        caps = facts.get("exposure_caps") or []
        told = [
            f"{cap['held']} lots were open in {cap['name']} ({', '.join(cap['symbols'])}), more than the "
            f"{cap['limit']} it allows" if cap["by"] == "lots" else
            f"positions worth {money(cap['held'])} were open in {cap['name']} ({', '.join(cap['symbols'])}), "
            f"more than the {money(cap['limit'])} it allows"
            for cap in caps
        ]
        if told:
            text = f"At {when} " + "; ".join(told) + "." + _positions(record)
        else:  # a record explained before the caps were listed in its facts
            text = (f"At {when} more than {record['limit']} lots were open in a class of symbols this phase caps."
                    + _positions(record))
    elif reason == d.NEWS_BLACKOUT:
        text = (f"A position was opened within {facts.get('news_blackout_minutes')} minutes of a listed news "
                f"release; judged at {when}.")
    elif decision == d.REBASED:
        text = (f"After the payout at {when} the floors restarted from the balance left "
                f"({money(facts['balance'])}).")
    else:
        text = f"{decision} ({reason}) at {when}, equity {money(record['equity'])}, limit {money(record['limit'])}."
    verdict = ("Recomputed from the stored inputs with the rule engine: the same decision."
               if record["same"] else "Recomputed from the stored inputs, it differs: "
               + "; ".join(record["differences"]) + ".")
    return f"{text} {verdict}"
