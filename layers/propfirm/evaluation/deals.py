"""From MT5 deals (inline in the evaluation message) to rule-engine events.

- `buy`/`sell` fills (entry in, out, inout, out_by) are `Deal` events.
- `balance`, `credit`, `correction`, `charge` and `bonus` deals are the trader's balance operations
  (deposits, withdrawals, payouts, corrections): `BalanceOperation` events, never profit or a trading day.
- Deals the system made itself are neither: the balance reset after a pass (our `balance_operation`
  command, whose MT5 comment the poller builds with `balance_comment`, recorded in the outbox as
  `mt5_comment`), and the funding deal MT5 made when it created the account for us (the ticket the
  `create_account` result reports). They are stored with role `system` and not given to the engine:
  a reset is the phase beginning afresh (the engine already set the balance to the account size), and
  counting it as an operation would move the next phase's target and daily floor by the reset amount.
- Deals older than the current phase's start belong to an earlier phase (or to the account before
  the challenge): stored, not judged.
- Other actions (commission charges, interest, dividends, taxes, stop-out compensation) are stored and
  not judged: their effect reaches the engine through the balance and equity the snapshots report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from propfirm.domain.events import BalanceOperation, Deal
from propfirm.queues.messages import DealRecord

TRADE_ACTIONS = frozenset(("buy", "sell"))
TRADE_ENTRIES = frozenset(("in", "out", "inout", "out_by"))
BALANCE_ACTIONS = frozenset(("balance", "credit", "correction", "charge", "bonus"))

ROLE_TRADE = "trade"
ROLE_BALANCE = "balance_operation"
ROLE_SYSTEM = "system"
ROLE_OTHER = "other"


@dataclass(frozen=True, slots=True)
class ClassifiedDeal:
    record: DealRecord
    role: str
    system_command: str | None = None  # the command id of a system deal we recognised by its comment


def is_balance_like(deal: DealRecord) -> bool:
    return deal.action in BALANCE_ACTIONS


def classify(
    deal: DealRecord, system_comments: dict[tuple[int, str], str], funding_tickets: set[int]
) -> ClassifiedDeal:
    if deal.action in TRADE_ACTIONS:
        return ClassifiedDeal(deal, ROLE_TRADE if deal.entry in TRADE_ENTRIES else ROLE_OTHER)
    if deal.action in BALANCE_ACTIONS:
        command_id = system_comments.get((deal.login, deal.comment))
        if command_id is not None:
            return ClassifiedDeal(deal, ROLE_SYSTEM, command_id)
        if deal.ticket in funding_tickets:
            return ClassifiedDeal(deal, ROLE_SYSTEM)
        return ClassifiedDeal(deal, ROLE_BALANCE)
    return ClassifiedDeal(deal, ROLE_OTHER)


def to_event(deal: ClassifiedDeal, server: str, phase_started_at: datetime) -> Deal | BalanceOperation | None:
    """The engine event for a deal, or None when the engine must not see it."""
    record = deal.record
    if record.time < phase_started_at:
        return None
    if deal.role == ROLE_TRADE:
        return Deal(
            time=record.time,
            login=record.login,
            deal=record.ticket,
            entry=record.entry,  # type: ignore[arg-type]
            symbol=record.symbol,
            volume=record.volume,
            profit=record.profit,
            position=record.position,
            commission=record.commission,
            swap=record.swap,
            server=server,
            value=record.value,
        )
    if deal.role == ROLE_BALANCE:
        return BalanceOperation(
            time=record.time, login=record.login, amount=record.profit, comment=record.comment, server=server
        )
    return None
