"""The market's prices as the deal stream shows them: every opening fill on the server is a price someone
was given at that instant. A trade filled at a better price than the other accounts' fills of the same
symbol and side in the same few seconds was filled on a price the market had already left: a stale quote,
what latency arbitrage lives on.

    market = MarketFills(trades)
    market.gap(trade, window)  ->  how much better than the market it was filled (None: nobody to compare)
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from statistics import median
from typing import Any

from propfirm.domain.abuse.trades import Trade

DEFAULT_WINDOW = timedelta(seconds=5)


class MarketFills:
    def __init__(self, trades: Sequence[Trade]) -> None:
        fills: dict[tuple[str, str, str], list[Trade]] = defaultdict(list)
        for trade in trades:
            fills[(trade.server, trade.symbol, trade.side)].append(trade)
        self._fills = {key: sorted(group, key=lambda x: x.opened_at) for key, group in fills.items()}
        self._times = {key: [x.opened_at for x in group] for key, group in self._fills.items()}

    def gap(self, trade: Trade, window: timedelta = DEFAULT_WINDOW) -> Decimal | None:
        """The market's price less the trade's for a buy (its price less the market's for a sell): above
        zero, the trade was filled better than everybody else that moment. The market's price is the median
        of the other accounts' opening fills within `window` of the trade's."""
        key = (trade.server, trade.symbol, trade.side)
        times = self._times.get(key)
        if not times:
            return None
        group = self._fills[key]
        others = [x.open_price for x in group[bisect_left(times, trade.opened_at - window):
                                              bisect_right(times, trade.opened_at + window)]
                  if x.login != trade.login]
        if not others:
            return None
        market = Decimal(median(others))
        return market - trade.open_price if trade.side == "buy" else trade.open_price - market


def against_the_market(trades: Sequence[Trade], market: MarketFills, window: timedelta = DEFAULT_WINDOW,
                       examples: int = 10) -> dict[str, Any]:
    """The evidence: how many of `trades` could be compared with other fills, how many were filled better
    than the market, and the largest gaps."""
    gaps = [(gap, trade) for trade in trades if (gap := market.gap(trade, window)) is not None]
    better = sorted(((g, x) for g, x in gaps if g > 0), key=lambda item: item[0], reverse=True)
    return {
        "compared": len(gaps),
        "filled_better_than_the_market": len(better),
        "window_seconds": window.total_seconds(),
        "largest": [
            {"position": x.position, "symbol": x.symbol, "side": x.side, "opened_at": x.opened_at.isoformat(),
             "price": str(x.open_price), "better_by": str(g)}
            for g, x in better[:examples]
        ],
    }
