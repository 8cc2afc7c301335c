"""What moved equity from the previous judged snapshot to this one, as amounts that add up exactly to the
change (pure).

Equity is balance plus the floating result of the open positions. Between two snapshots:
- the balance moved by the deals judged in between (closed profit, commission, swap booked on closing)
  and the balance operations (deposits, withdrawals, payouts, corrections); whatever else MT5 booked on
  the balance without a deal the evaluator judged is `other_balance`;
- the floating result moved by the prices of the positions still open, their spread and their swap:
  `open_positions`.
So `total` = equity now − equity before = the sum of the parts, to the cent and beyond.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from propfirm.domain.events import BalanceOperation, Deal, Event, Snapshot

ZERO = Decimal(0)
CLOSING = frozenset(("out", "inout", "out_by"))
PARTS = ("closed_profit", "commission", "swap", "balance_operations", "other_balance", "open_positions")


def attribute(
    before_balance: Decimal, before_equity: Decimal, events: list[Event], until: Snapshot | None = None
) -> dict[str, Decimal]:
    """The parts of the equity change up to `until` (default: the last snapshot among `events`)."""
    snapshot = until or next((e for e in reversed(events) if isinstance(e, Snapshot)), None)
    parts = dict.fromkeys(PARTS, ZERO)
    if snapshot is None:
        return {**parts, "total": ZERO}
    for event in events:
        if event is snapshot:
            break
        if isinstance(event, Deal):
            if event.entry in CLOSING:
                parts["closed_profit"] += event.profit
                parts["swap"] += event.swap
            parts["commission"] += event.commission
        elif isinstance(event, BalanceOperation):
            parts["balance_operations"] += event.amount
    explained = parts["closed_profit"] + parts["swap"] + parts["commission"] + parts["balance_operations"]
    parts["other_balance"] = (snapshot.balance - before_balance) - explained
    parts["open_positions"] = (snapshot.equity - snapshot.balance) - (before_equity - before_balance)
    total = snapshot.equity - before_equity
    assert sum(parts.values(), ZERO) == total  # by construction: every part of the change is named
    return {**parts, "total": total}


def as_json(parts: dict[str, Decimal]) -> dict[str, Any]:
    return {name: str(value) for name, value in parts.items()}
