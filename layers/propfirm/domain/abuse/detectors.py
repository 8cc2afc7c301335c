"""The detectors: each a pure function from trades to findings, thresholds explicit (`Thresholds`).

- `hedging`: two accounts holding opposite positions in one symbol, opened within `window` of each other,
  of the same relative size (within `size_tolerance`) and closed within `window` too; a pair of accounts is
  a finding when at least `min_matches` trades mirror and they are at least `min_share` of the smaller
  account's trades. Score: that share.
- `copy_trading`: the same, on the same side; accounts joined by such pairs form a ring (connected
  components). Score: the ring's mean share; evidence: each account's median lag behind the first opener.
- `latency_arbitrage`: an account whose trades held at most `max_hold` are at least `min_short` in number,
  at least `min_short_share` of its trades, and won at least `min_win_rate` of the time. Score: win rate
  times share. Evidence beside it: how many of those trades were filled at a better price than the other
  accounts' fills of the same symbol and side in the same five seconds (`domain.abuse.market`: the deal
  stream's fills as the market's prices).
- `martingale`: ladders on one account and symbol: each entry on the same side while the previous is
  open, at a worse price than the ladder's average (adding against a loss), `factor` times the previous
  size or more; an account with a ladder of `min_levels` or more. Score: its longest ladder over five
  levels (capped at 1).
- `grid`: ladders on one account and symbol of `grid_levels` or more entries on the same side, each opened
  while every earlier one is still open, all of the same size (within `size_tolerance`), at prices that
  step the same way by a fixed distance: every gap within `grid_tolerance` of the ladder's median gap.
  Score: its longest ladder over six levels (capped at 1).
- `news_straddle` (`propfirm.domain.abuse.news`): a buy and a sell of one size held across news releases.

Honest accounts trade the same symbols with the trend, so coincidences happen; the shares are what a
coincidence does not reach (docs/abuse.md has the precision and recall on the simulator's mix).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from decimal import Decimal
from statistics import median
from typing import Any

from propfirm.domain.abuse.findings import DEFAULT_THRESHOLDS, MAX_EVIDENCE, Detector, Finding, Thresholds
from propfirm.domain.abuse.market import MarketFills, against_the_market
from propfirm.domain.abuse.news import Release, news_straddle
from propfirm.domain.abuse.trades import Trade, books_of, same_size

DETECTORS = tuple(Detector)


def _close_together(a: Trade, b: Trade, window: timedelta) -> bool:
    if a.closed_at is None or b.closed_at is None:
        return a.closed_at is None and b.closed_at is None
    return abs(a.closed_at - b.closed_at) <= window


def _pairs(
    trades: Sequence[Trade], same_side: bool, t: Thresholds
) -> dict[tuple[str, int, int], list[tuple[Trade, Trade]]]:
    """Matched trades of account pairs (server, low login, high login), each trade matched at most once
    per other account: the same symbol, the side as asked, opened and closed within the window, one size."""
    by_symbol: dict[tuple[str, str], list[Trade]] = defaultdict(list)
    for trade in trades:
        by_symbol[(trade.server, trade.symbol)].append(trade)
    matches: dict[tuple[str, int, int], list[tuple[Trade, Trade]]] = defaultdict(list)
    for (server, _), group in by_symbol.items():
        group.sort(key=lambda x: x.opened_at)
        used: set[tuple[int, int, int]] = set()  # (position, login, other login): one match per pair
        start = 0
        for i, a in enumerate(group):
            while group[start].opened_at < a.opened_at - t.window:
                start += 1
            for b in group[start:i]:
                if b.login == a.login or (b.side == a.side) != same_side:
                    continue
                if (b.position, b.login, a.login) in used or (a.position, a.login, b.login) in used:
                    continue
                if not same_size(a, b, t.size_tolerance) or not _close_together(a, b, t.window):
                    continue
                used.add((b.position, b.login, a.login))
                used.add((a.position, a.login, b.login))
                low, high = sorted((a.login, b.login))
                first, second = (b, a) if b.login == low else (a, b)
                matches[(server, low, high)].append((first, second))
    return matches


def _trade_counts(trades: Iterable[Trade]) -> dict[tuple[str, int], int]:
    counts: dict[tuple[str, int], int] = defaultdict(int)
    for trade in trades:
        counts[(trade.server, trade.login)] += 1
    return counts


def _pair_share(key: tuple[str, int, int], matched: int, counts: dict[tuple[str, int], int]) -> float:
    server, low, high = key
    return matched / max(1, min(counts[(server, low)], counts[(server, high)]))


def _match_brief(a: Trade, b: Trade) -> dict[str, Any]:
    return {"lag_seconds": abs((b.opened_at - a.opened_at).total_seconds()), "trades": [a.brief(), b.brief()]}


def hedging(trades: Sequence[Trade], t: Thresholds = DEFAULT_THRESHOLDS) -> list[Finding]:
    counts = _trade_counts(trades)
    findings = []
    for key, matched in sorted(_pairs(trades, same_side=False, t=t).items()):
        share = _pair_share(key, len(matched), counts)
        if len(matched) < t.min_matches or share < t.min_share:
            continue
        server, low, high = key
        net = sum((a.profit + b.profit for a, b in matched), Decimal(0))
        findings.append(
            Finding(
                "hedging",
                server,
                (low, high),
                round(min(1.0, share), 3),
                {
                    "mirrored_trades": len(matched),
                    "share": round(share, 3),
                    "profits": {
                        str(low): str(sum((a.profit for a, _ in matched), Decimal(0))),
                        str(high): str(sum((b.profit for _, b in matched), Decimal(0))),
                    },
                    "net_of_both": str(net),
                    "matches": [_match_brief(a, b) for a, b in matched[:MAX_EVIDENCE]],
                },
                tuple(sorted({(tr.login, d) for a, b in matched for tr in (a, b) for d in tr.deals})),
            )
        )
    return findings


def copy_trading(trades: Sequence[Trade], t: Thresholds = DEFAULT_THRESHOLDS) -> list[Finding]:
    counts = _trade_counts(trades)
    edges: dict[tuple[str, int, int], list[tuple[Trade, Trade]]] = {}
    for key, matched in _pairs(trades, same_side=True, t=t).items():
        if len(matched) >= t.min_matches and _pair_share(key, len(matched), counts) >= t.min_share:
            edges[key] = matched
    # rings: connected components of the qualifying pairs, per server
    parent: dict[tuple[str, int], tuple[str, int]] = {}

    def root(node: tuple[str, int]) -> tuple[str, int]:
        while parent.setdefault(node, node) != node:
            node = parent[node]
        return node

    for server, low, high in edges:
        parent[root((server, low))] = root((server, high))
    rings: dict[tuple[str, int], list[tuple[str, int, int]]] = defaultdict(list)
    for key in edges:
        rings[root((key[0], key[1]))].append(key)
    findings = []
    for (server, _), keys in sorted(rings.items()):
        logins = tuple(sorted({login for k in keys for login in k[1:]}))
        shares = [_pair_share(k, len(edges[k]), counts) for k in keys]
        lags: dict[int, list[float]] = defaultdict(list)
        for k in keys:
            for a, b in edges[k]:
                first = min(a.opened_at, b.opened_at)
                lags[a.login].append((a.opened_at - first).total_seconds())
                lags[b.login].append((b.opened_at - first).total_seconds())
        score = sum(shares) / len(shares)
        findings.append(
            Finding(
                "copy_trading",
                server,
                logins,
                round(min(1.0, score), 3),
                {
                    "pairs": [
                        {
                            "logins": [k[1], k[2]],
                            "copied_trades": len(edges[k]),
                            "share": round(_pair_share(k, len(edges[k]), counts), 3),
                        }
                        for k in sorted(keys)
                    ],
                    "median_lag_seconds": {str(login): median(values) for login, values in sorted(lags.items())},
                    "matches": [
                        _match_brief(a, b) for k in sorted(keys) for a, b in edges[k][: MAX_EVIDENCE // len(keys) or 1]
                    ],
                },
                tuple(sorted({(tr.login, d) for k in keys for a, b in edges[k] for tr in (a, b) for d in tr.deals})),
            )
        )
    return findings


def latency_arbitrage(trades: Sequence[Trade], t: Thresholds = DEFAULT_THRESHOLDS) -> list[Finding]:
    by_account: dict[tuple[str, int], list[Trade]] = defaultdict(list)
    for trade in trades:
        if trade.closed_at is not None:
            by_account[(trade.server, trade.login)].append(trade)
    findings = []
    market: MarketFills | None = None  # built once, for the first account that qualifies
    for (server, login), closed in sorted(by_account.items()):
        short = [x for x in closed if x.hold_seconds is not None and x.hold_seconds <= t.max_hold.total_seconds()]
        if len(short) < t.min_short:
            continue
        share = len(short) / len(closed)
        wins = sum(1 for x in short if x.profit > 0)
        win_rate = wins / len(short)
        if share < t.min_short_share or win_rate < t.min_win_rate:
            continue
        market = market or MarketFills(trades)
        findings.append(
            Finding(
                "latency_arbitrage",
                server,
                (login,),
                round(min(1.0, win_rate * share), 3),
                {
                    "short_trades": len(short),
                    "share_of_trades": round(share, 3),
                    "win_rate": round(win_rate, 3),
                    "median_hold_seconds": median(x.hold_seconds or 0.0 for x in short),
                    "profit_of_short_trades": str(sum((x.profit for x in short), Decimal(0))),
                    "trades": [x.brief() for x in short[:MAX_EVIDENCE]],
                    # the short trades' fills beside the other accounts' of the same moment (domain.abuse.market)
                    "against_the_market": against_the_market(short, market),
                },
                tuple(sorted({(login, d) for x in short for d in x.deals})),
            )
        )
    return findings


def _against(ladder: Sequence[Trade], entry: Trade) -> bool:
    """The new entry is at a worse price than the ladder's average (volume-weighted) open price: the position
    it adds to was losing. Not the last rung's price: after a bounce the ladder is still under water while the
    price is above its last rung, and a martingale adds then too."""
    volume = sum((x.volume for x in ladder), Decimal(0))
    average = sum((x.open_price * x.volume for x in ladder), Decimal(0)) / volume
    return entry.open_price < average if entry.side == "buy" else entry.open_price > average


def _rungs(ladder: Sequence[Trade]) -> list[dict[str, Any]]:
    """A ladder's entries as evidence."""
    return [
        {"volume": str(x.volume), "price": str(x.open_price), "opened_at": x.opened_at.isoformat(),
         "position": x.position}
        for x in ladder
    ]


def martingale(trades: Sequence[Trade], t: Thresholds = DEFAULT_THRESHOLDS) -> list[Finding]:
    ladders: dict[tuple[str, int], list[list[Trade]]] = defaultdict(list)
    for (server, login, _), book in books_of(trades).items():
        ladder: list[Trade] = []
        for entry in book:
            if ladder:
                last = ladder[-1]
                still_open = last.closed_at is None or last.closed_at > entry.opened_at
                if (
                    still_open
                    and entry.side == last.side
                    and entry.volume >= last.volume * t.factor
                    and _against(ladder, entry)
                ):
                    ladder.append(entry)
                    continue
                if len(ladder) >= t.min_levels:
                    ladders[(server, login)].append(ladder)
            ladder = [entry]
        if len(ladder) >= t.min_levels:
            ladders[(server, login)].append(ladder)
    findings = []
    for (server, login), found in sorted(ladders.items()):
        longest = max(len(ladder) for ladder in found)
        findings.append(
            Finding(
                "martingale",
                server,
                (login,),
                round(min(1.0, longest / 5), 3),
                {
                    "ladders": len(found),
                    "longest": longest,
                    "examples": [_rungs(ladder) for ladder in found[:5]],
                },
                tuple(sorted({(login, d) for ladder in found for x in ladder for d in x.deals})),
            )
        )
    return findings


def _evenly_spaced(ladder: Sequence[Trade], tolerance: Decimal) -> bool:
    """Prices stepping one way, every gap within `tolerance` of the median gap (and none zero)."""
    gaps = [b.open_price - a.open_price for a, b in zip(ladder, ladder[1:], strict=False)]
    if not gaps or any(g == 0 for g in gaps) or len({g > 0 for g in gaps}) > 1:
        return False
    middle = median(abs(g) for g in gaps)
    return all(abs(abs(g) - middle) <= middle * tolerance for g in gaps)


def _grid_ladders(book: list[Trade], t: Thresholds) -> list[list[Trade]]:
    """The grid ladders in one account's trades of one symbol (opened in time order): runs of same-side,
    same-size entries each opened while the run's earlier ones are open, cut where the spacing breaks."""
    found: list[list[Trade]] = []
    ladder: list[Trade] = []
    for entry in book:
        if ladder:
            first = ladder[0]
            all_open = all(x.closed_at is None or x.closed_at > entry.opened_at for x in ladder)
            same = entry.side == first.side and abs(entry.volume - first.volume) <= first.volume * t.size_tolerance
            if all_open and same and (len(ladder) < 2 or _evenly_spaced([*ladder, entry], t.grid_tolerance)):
                ladder.append(entry)
                continue
            if len(ladder) >= t.grid_levels and _evenly_spaced(ladder, t.grid_tolerance):
                found.append(ladder)
        ladder = [entry]
    if len(ladder) >= t.grid_levels and _evenly_spaced(ladder, t.grid_tolerance):
        found.append(ladder)
    return found


def grid(trades: Sequence[Trade], t: Thresholds = DEFAULT_THRESHOLDS) -> list[Finding]:
    ladders: dict[tuple[str, int], list[list[Trade]]] = defaultdict(list)
    for (server, login, _), book in books_of(trades).items():
        ladders[(server, login)] += _grid_ladders(book, t)
    findings = []
    for (server, login), found in sorted(ladders.items()):
        if not found:
            continue
        longest = max(len(ladder) for ladder in found)
        findings.append(
            Finding(
                "grid",
                server,
                (login,),
                round(min(1.0, longest / 6), 3),
                {
                    "ladders": len(found),
                    "longest": longest,
                    "examples": [
                        {
                            "symbol": ladder[0].symbol,
                            "side": ladder[0].side,
                            "spacing": str(median(abs(b.open_price - a.open_price)
                                                  for a, b in zip(ladder, ladder[1:], strict=False))),
                            "entries": _rungs(ladder),
                        }
                        for ladder in found[:5]
                    ],
                },
                tuple(sorted({(login, d) for ladder in found for x in ladder for d in x.deals})),
            )
        )
    return findings


def detect(
    trades: Sequence[Trade],
    t: Thresholds = DEFAULT_THRESHOLDS,
    detectors: Iterable[str] = DETECTORS,
    releases: Sequence[Release] = (),
) -> list[Finding]:
    """Every detector named (all by default), findings in detector order; news straddles are judged around
    `releases` (none: no news straddle)."""
    run: dict[str, Callable[[Sequence[Trade], Thresholds], list[Finding]]] = {
        "hedging": hedging,
        "copy_trading": copy_trading,
        "latency_arbitrage": latency_arbitrage,
        "martingale": martingale,
        "grid": grid,
        "news_straddle": lambda trades, t: news_straddle(trades, releases, t),
    }
    findings: list[Finding] = []
    for name in detectors:
        findings += run[name](trades, t)
    return findings
