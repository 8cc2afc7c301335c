"""News straddles: a buy and a sell of one symbol, of the same size, opened on one account shortly before a
news release and both still open when it comes out, so that whichever way the release moves the price one
leg wins the jump; the straddler closes the loser at once and keeps the winner.

A straddle is judged per release: both legs opened within `straddle_lead` before it and within
`straddle_window` of each other, the same size (within `size_tolerance`), the symbol moved by the release
(its name holds one of the release's currencies; a release without currencies moves every symbol). An
account is a finding when it straddled at least `min_straddles` releases and they are at least
`min_straddle_share` of the releases across which it held a position opened in the lead. Score: that share.

Pending orders are not seen: the deal stream shows fills, and a straddle of two stop orders fills one leg
(after the release) or both at different prices; such a straddle shows as two entries only when both fill.
Opposite positions on two accounts are the hedging detector's.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from propfirm.domain.abuse.findings import DEFAULT_THRESHOLDS, MAX_EVIDENCE, Finding, Thresholds
from propfirm.domain.abuse.trades import Trade, books_of, same_size


@dataclass(frozen=True, slots=True)
class Release:
    """A news release as the detector reads it (the news calendar's rows)."""

    at: datetime
    title: str
    currencies: tuple[str, ...] = ()

    def moves(self, symbol: str) -> bool:
        name = symbol.upper()
        return not self.currencies or any(code in name for code in self.currencies)


@dataclass(frozen=True, slots=True)
class Straddle:
    release: Release
    buy: Trade
    sell: Trade

    def brief(self) -> dict[str, Any]:
        last_open = max(self.buy.opened_at, self.sell.opened_at)
        return {
            "release": {"at": self.release.at.isoformat(), "title": self.release.title},
            "lag_seconds": abs((self.sell.opened_at - self.buy.opened_at).total_seconds()),
            "lead_seconds": (self.release.at - last_open).total_seconds(),
            "net": str(self.buy.profit + self.sell.profit),
            "trades": [self.buy.brief(), self.sell.brief()],
        }


def _open_across(trade: Trade, instant: datetime) -> bool:
    return trade.closed_at is None or trade.closed_at > instant


def straddles_of(
    trades: Sequence[Trade], releases: Sequence[Release], t: Thresholds = DEFAULT_THRESHOLDS
) -> tuple[dict[tuple[str, int], list[Straddle]], dict[tuple[str, int], set[datetime]]]:
    """Per account (server, login): its straddles, and the releases across which it held a position opened
    in the lead (the share's denominator)."""
    books = books_of(trades)
    found: dict[tuple[str, int], list[Straddle]] = defaultdict(list)
    held: dict[tuple[str, int], set[datetime]] = defaultdict(set)
    ordered = sorted(releases, key=lambda r: r.at)
    for (server, login, symbol), book in books.items():
        opens = [x.opened_at for x in book]
        for release in ordered:
            if not release.moves(symbol):
                continue
            lo = bisect_left(opens, release.at - t.straddle_lead)
            hi = bisect_right(opens, release.at)
            legs = [x for x in book[lo:hi] if _open_across(x, release.at)]
            if not legs:
                continue
            held[(server, login)].add(release.at)
            sells = [x for x in legs if x.side == "sell"]
            for buy in (x for x in legs if x.side == "buy"):
                match = min(
                    (s for s in sells if abs(s.opened_at - buy.opened_at) <= t.straddle_window
                     and same_size(buy, s, t.size_tolerance)),
                    key=lambda s: abs(s.opened_at - buy.opened_at),
                    default=None,
                )
                if match is not None:
                    sells.remove(match)
                    found[(server, login)].append(Straddle(release, buy, match))
    return found, held


def news_straddle(
    trades: Sequence[Trade],
    releases: Sequence[Release],
    t: Thresholds = DEFAULT_THRESHOLDS,
) -> list[Finding]:
    """One finding per account that straddles releases as a habit."""
    found, held = straddles_of(trades, releases, t)
    findings = []
    for (server, login), straddles in sorted(found.items()):
        straddled = {s.release.at for s in straddles}
        share = len(straddled) / max(1, len(held[(server, login)]))
        if len(straddled) < t.min_straddles or share < t.min_straddle_share:
            continue
        findings.append(
            Finding(
                "news_straddle",
                server,
                (login,),
                round(min(1.0, share), 3),
                {
                    "releases_straddled": len(straddled),
                    "releases_held_across": len(held[(server, login)]),
                    "share": round(share, 3),
                    "net_of_straddles": str(sum((s.buy.profit + s.sell.profit for s in straddles), Decimal(0))),
                    "matches": [s.brief() for s in straddles[:MAX_EVIDENCE]],
                },
                tuple(sorted({(login, d) for s in straddles for leg in (s.buy, s.sell) for d in leg.deals})),
            )
        )
    return findings
