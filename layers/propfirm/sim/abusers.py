"""Scripted abusers placed among the accounts that start a program's first phase.

`place_abusers(world, candidates)` turns some of those accounts into `hedger` pairs, `copier` rings of
three, `scalper`s, `martingale`s and `grid`s (`propfirm.sim.traders`), deterministically per seed: about
one account in twelve, and at least one of each when there are enough candidates (a pair, a ring, one
scalper, one martingale and one grid; and a `straddler` when the world has a news calendar). The accounts
taken are the quiet ones first (idle, weekend holders, gamblers, the oversized, bleeders), so that the
honest mix keeps its careful and reckless traders, whose passes and failures the local stack shows.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from propfirm.sim.traders import Trader

if TYPE_CHECKING:
    from propfirm.sim.world import World

QUIET_FIRST = ("idle", "weekend_holder", "gambler", "oversized", "bleeder", "careful", "reckless")
PAIR, RING = 2, 3


def _crews(candidates: int, news: bool = False) -> list[tuple[str, int]]:
    """(profile, accounts) of each crew for this many candidates; straddlers only where there is news."""
    if candidates < PAIR + RING + 2:
        return []
    units = max(1, round(candidates / 100))  # one of each per hundred candidates, at least one
    crews: list[tuple[str, int]] = []
    for _ in range(units):
        crews += [("hedger", PAIR), ("copier", RING), ("scalper", 1), ("martingale", 1), ("grid", 1)]
        if news:
            crews.append(("straddler", 1))
    return crews


def place_abusers(world: World, candidates: list[int]) -> dict[int, str]:
    """Make abusers of some candidates (logins with scripted traders); login -> profile of those changed."""
    rng = random.Random(f"abusers:{world.seed}")
    pool = sorted(
        candidates,
        key=lambda login: (
            QUIET_FIRST.index(world.traders[login].profile) if world.traders[login].profile in QUIET_FIRST else 99,
            rng.random(),
        ),
    )
    placed: dict[int, str] = {}
    for profile, size in _crews(len(pool), news=bool(world.news)):
        if len(pool) < size:
            break
        members, pool = sorted(pool[:size]), pool[size:]
        leader = members[0]
        for login in members:
            old = world.traders[login]
            world.traders[login] = Trader(
                login,
                profile,
                old.rng,
                old.start_balance,
                crew=tuple(m for m in members if m != leader) if login == leader else (),
                led=login != leader,
            )
            placed[login] = profile
    return placed
