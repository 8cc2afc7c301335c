"""What a write's read-back must show, the same for both MT5 adapters: a write is confirmed by reading the
account (or its deals) back, never by the answer to the write alone (docs/mt5.md)."""

from __future__ import annotations

from propfirm.mt5.errors import InvalidRequest
from propfirm.mt5.models import AccountInfo, AccountUpdate, BalanceOperation, Deal, DealAction


def require_applied(update: AccountUpdate, after: AccountInfo, login: int) -> AccountInfo:
    """`after` (the account read back) shows every field `update` set; else InvalidRequest naming those
    MT5 left unchanged (a value the server did not accept, e.g. a group it does not have)."""
    wrong = [
        name
        for name, wanted, got in (
            ("group", update.group, after.group),
            ("leverage", update.leverage, after.leverage),
            ("trading_enabled", update.trading_enabled, after.trading_enabled),
        )
        if wanted is not None
        and (wanted.lower() != str(got).lower() if isinstance(wanted, str) else wanted != got)
    ]
    if wrong:
        raise InvalidRequest(f"MT5 left {', '.join(wrong)} of {login} unchanged (value not accepted)")
    return after


def is_deal_of(deal: Deal, operation: BalanceOperation) -> bool:
    """Whether `deal` is the balance operation's own: its kind, its comment (unique per command) and its
    amount (a retry after a lost answer finds the deal instead of paying twice)."""
    return (
        deal.action == DealAction(int(operation.kind))
        and deal.comment == operation.comment
        and deal.profit == operation.amount
    )
