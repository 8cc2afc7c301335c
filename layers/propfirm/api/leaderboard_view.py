"""The public leaderboard: opted-in traders' active challenges over a period, ranked, no personal data
(the display name the trader chose, the program, the figures). Answers are kept a minute per query, so a
public route cannot be used to load the database."""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from propfirm.domain.leaderboard import Day, standing
from propfirm.store.uow import UnitOfWork

CACHE_SECONDS = 60.0
_cache: dict[tuple[Any, ...], tuple[float, dict[str, Any]]] = {}
_lock = threading.Lock()

_ROWS = """
SELECT c.id, t.leaderboard_name, c.program_id, d.trading_day, d.start_balance, d.close_equity, d.profit
FROM challenges c
JOIN traders t ON t.id = c.trader_id
JOIN programs p ON p.id = c.program_id AND p.version = c.program_version
JOIN daily_statistics d ON d.challenge_id = c.id
WHERE t.leaderboard_name IS NOT NULL AND c.status = 'active'
  AND coalesce((p.definition->'phases'->c.phase->>'funded')::boolean, false) = %s
  AND d.trading_day > %s AND d.trading_day <= %s
"""


def leaderboard(uow: UnitOfWork, board: str, days: int, sort: str, limit: int, today: date) -> dict[str, Any]:
    rows = uow.fetchall(_ROWS, (board == "funded", today - timedelta(days=days), today))
    by_challenge: dict[int, list[Day]] = defaultdict(list)
    names: dict[int, tuple[str, str]] = {}
    for cid, name, program, day, start, close, profit in rows:
        by_challenge[cid].append(Day(day, start, close, profit))
        names[cid] = (name, program)
    ranked = []
    for cid, history in by_challenge.items():
        found = standing(history)
        if found is not None and found.days > 0:
            ranked.append((found, cid))
    ranked.sort(key=lambda item: (item[0].key(sort), -item[1]), reverse=True)
    return {
        "board": board,
        "days": days,
        "sort": sort,
        "through": today.isoformat(),
        "items": [
            {
                "rank": rank,
                "name": names[cid][0],
                "program": names[cid][1],
                "return_pct": str(s.return_pct),
                "winning_days_pct": str(s.winning_days_pct),
                "drawdown_pct": str(s.drawdown_pct),
                "days_traded": s.days,
            }
            for rank, (s, cid) in enumerate(ranked[:limit], start=1)
        ],
    }


def cached(key: tuple[Any, ...], now: float, build: Any) -> dict[str, Any]:
    with _lock:
        hit = _cache.get(key)
        if hit is not None and 0 <= now - hit[0] < CACHE_SECONDS:
            return hit[1]
    value = build()
    with _lock:
        _cache[key] = (now, value)
        if len(_cache) > 256:  # a handful of boards and periods: never grows past a few
            _cache.pop(next(iter(_cache)))
    return value
