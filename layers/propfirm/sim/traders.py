"""Scripted traders: accounts that trade by themselves for demos and benchmarks.

Each trader has a profile and its own random generator seeded by the world's seed
and its login, so a seed and a sequence of rounds always give the same trades.
They trade through the same `World.open_position`/`close_position` as the dealer
API (reason 0, client), so every trade leaves IN and OUT deals.

Profiles (sizes scale with the starting balance; "lots" below are per 100,000):

- `careful`: 1-2 lots with the market's trend, takes +0.4 % and cuts at -0.25 %;
  stops trading once its profit reaches 10 % (it reaches targets).
- `reckless`: 20-30 lots, random side, no stop: it breaks the daily loss limit.
- `bleeder`: 0.5-1.5 lots against the trend, closes after a few rounds: it pays the
  spread and commission every time and drifts down to the maximum loss.
- `gambler`: gold and index positions of random size, random exits.
- `weekend_holder`: opens on Friday afternoon (server time) and holds into Monday.
- `oversized`: now and then 25 lots at once (above a typical 20-lot limit), closed soon.
- `idle`: never trades.

Scripted abusers (`propfirm.sim.abusers` places them in first phases; the abuse detectors must find them):

- `hedger`: pairs; one opens, the other takes the opposite side of the same size at once, both close
  together: one account of the pair always gains what the other loses.
- `copier`: rings of three; the ring's first account picks the trade, every member opens the same symbol,
  side and relative size at once, and all close together.
- `scalper`: trades on stale prices: buys at the quote of its previous round when the market has since
  risen past the spread (or sells when it fell) and closes at once at the current price.
- `martingale`: adds twice the size against a losing position, up to five levels, and closes everything
  at the first net profit (or at a 3 % loss on the last level).
- `grid`: a ladder of limit entries of one size at a fixed distance (0.08 % of the first price) against
  its first position, filled at their level as the market reaches them, up to six; closes everything at
  a net profit of 0.1 % (on one level, from the fourth on, or once its first entry has waited 24 rounds),
  a 3 % loss, or before the weekend.
- `straddler` (only in a world with a news calendar, `World.news`): in the round before a release, a buy and a
  sell of one size in a symbol the release moves; in the first round after it, closes the losing leg, and
  the winner a round later.

The market is closed on Saturday and Sunday (server time): no trader acts then.

Size: one short script per trading profile, and the table of profiles the demos and benchmarks choose from.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

from propfirm.sim.accounts import REASON_CLIENT, TradeError
from propfirm.sim.news import next_release

if TYPE_CHECKING:
    from propfirm.sim.world import World

ABUSER_PROFILES = ("hedger", "copier", "scalper", "martingale", "grid", "straddler")
PROFILES = ("careful", "reckless", "bleeder", "gambler", "weekend_holder", "oversized", "idle", *ABUSER_PROFILES)
# default mix for `populate`: mostly ordinary accounts, a few of each failure mode
DEFAULT_MIX = (
    ("careful", 30),
    ("bleeder", 20),
    ("reckless", 15),
    ("gambler", 10),
    ("weekend_holder", 10),
    ("oversized", 5),
    ("idle", 10),
)
FX = ("EURUSD", "GBPUSD", "USDJPY")
T = TypeVar("T")
VOLATILE = ("XAUUSD", "US30", "GER40")
STRADDLE_LEAD = timedelta(minutes=15)  # a straddler opens in the round (15 simulated minutes) before a release


class SmallRng:
    """SplitMix64: a tiny deterministic generator (one int of state; `random.Random` costs
    2.5 KB, which at 100,000 traders is a quarter of a gigabyte)."""

    __slots__ = ("_state",)
    _MASK = (1 << 64) - 1

    def __init__(self, seed_text: str) -> None:
        self._state = int.from_bytes(hashlib.blake2b(seed_text.encode(), digest_size=8).digest(), "little")

    def _next(self) -> int:
        self._state = (self._state + 0x9E3779B97F4A7C15) & self._MASK
        z = self._state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self._MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self._MASK
        return z ^ (z >> 31)

    def random(self) -> float:
        return (self._next() >> 11) / 9007199254740992.0

    def randrange(self, n: int) -> int:
        return self._next() % n

    def choice(self, options: Sequence[T]) -> T:
        return options[self._next() % len(options)]


@dataclass(slots=True)
class Trader:
    login: int
    profile: str
    rng: SmallRng
    start_balance: Decimal
    ages: dict[int, int] = field(default_factory=dict)  # ticket -> rounds held
    done: bool = False
    crew: tuple[int, ...] = ()  # a hedger's or copier's partners, for the account that leads them
    led: bool = False  # a partner: its leader trades for it
    stale: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)  # a scalper's last quotes
    ladder: list[tuple[int, str, int, Decimal]] = field(default_factory=list)  # martingale: ticket, symbol, side, lots
    straddling: datetime | None = None  # a straddler's release, while its legs wait for it

    @property
    def scale(self) -> Decimal:
        return max(self.start_balance / Decimal(100_000), Decimal("0.01"))

    def lots(self, per_100k: float) -> Decimal:
        value = (Decimal(str(per_100k)) * self.scale).quantize(Decimal("0.01"))
        return max(value, Decimal("0.01"))


def assign_traders(world: World, logins: list[int], profiles: list[str] | None = None) -> None:
    """Give each login a trader: the profiles in turn if given, else the default mix by seed."""
    mix_rng = random.Random(f"mix:{world.seed}")
    names = [name for name, _ in DEFAULT_MIX]
    weights = [weight for _, weight in DEFAULT_MIX]
    for index, login in enumerate(logins):
        if profiles:
            profile = profiles[index % len(profiles)]
        else:
            profile = mix_rng.choices(names, weights)[0]
        if profile not in PROFILES:
            raise ValueError(f"unknown trader profile {profile!r}; known: {', '.join(PROFILES)}")
        balance = world.accounts[login].balance
        world.traders[login] = Trader(login, profile, SmallRng(f"trader:{world.seed}:{login}"), balance)


CHUNK = 1000  # traders per hold of the world's lock, so the API keeps answering during a round


def run_round(world: World) -> int:
    """One decision of every trader, in login order; returns the number of trades made."""
    with world.lock:
        wall = world.zone.wall(world.clock.now())
        logins = sorted(world.traders)
    if wall.weekday() >= 5:
        return 0
    trades = 0
    for start in range(0, len(logins), CHUNK):
        with world.lock:
            for login in logins[start : start + CHUNK]:
                trader = world.traders[login]
                if trader.profile == "idle" or login not in world.accounts:
                    continue
                try:
                    trades += _ACT[trader.profile](world, trader, wall.weekday(), wall.hour)
                except TradeError:
                    pass  # refused (trade disabled, no money, …): a real trader would try again later
    return trades


def _open(world: World, trader: Trader, symbol: str, side: int, lots: Decimal) -> int:
    ticket = world.open_position(trader.login, symbol, side, lots, reason=REASON_CLIENT)
    trader.ages[ticket] = 0
    return 1


def _close(world: World, trader: Trader, ticket: int) -> int:
    trader.ages.pop(ticket, None)
    world.close_position(trader.login, ticket, reason=REASON_CLIENT)
    return 1


def _open_positions(world: World, trader: Trader) -> list[int]:
    positions = world.accounts[trader.login].positions
    for ticket in list(trader.ages):
        if ticket not in positions:
            trader.ages.pop(ticket)  # closed by someone else (the firm's kill switch)
    for ticket in positions:
        trader.ages.setdefault(ticket, 0)
        trader.ages[ticket] += 1
    return sorted(positions)


def _trend_side(world: World, symbol: str) -> int:
    return world.market.trend(symbol)


def _careful(world: World, trader: Trader, weekday: int, hour: int) -> int:
    if trader.done:
        return 0
    view = world.account(trader.login)
    if view.balance >= trader.start_balance * Decimal("1.10") and not view.positions:
        trader.done = True  # target reached: stop and wait for the firm
        return 0
    tickets = _open_positions(world, trader)
    if tickets:
        made = 0
        for ticket in tickets:
            position = world.positions[ticket]
            profit = world.account(trader.login).profit
            if profit >= trader.start_balance * Decimal("0.004") or profit <= -trader.start_balance * Decimal(
                "0.0025"
            ):
                made += _close(world, trader, ticket)
            elif weekday == 4 and hour >= 20:
                made += _close(world, trader, position.ticket)  # flat before the weekend
        return made
    if weekday == 4 and hour >= 20 or trader.rng.random() < 0.5:
        return 0
    symbol = trader.rng.choice(FX)
    return _open(
        world, trader, symbol, _trend_side(world, symbol), trader.lots(trader.rng.choice((1, 1.5, 2)))
    )


def _reckless(world: World, trader: Trader, weekday: int, hour: int) -> int:
    tickets = _open_positions(world, trader)
    if tickets:
        if world.account(trader.login).profit >= trader.start_balance * Decimal("0.02"):
            return sum(_close(world, trader, t) for t in tickets)
        return 0
    symbol = trader.rng.choice(FX)
    return _open(world, trader, symbol, trader.rng.randrange(2), trader.lots(trader.rng.choice((20, 25, 30))))


def _bleeder(world: World, trader: Trader, weekday: int, hour: int) -> int:
    tickets = _open_positions(world, trader)
    made = 0
    for ticket in tickets:
        if trader.ages.get(ticket, 0) >= 3:
            made += _close(world, trader, ticket)
    if not tickets and trader.rng.random() < 0.15:
        symbol = trader.rng.choice(FX)
        side = 1 - _trend_side(world, symbol)
        made += _open(world, trader, symbol, side, trader.lots(trader.rng.choice((0.5, 1, 1.5))))
    return made


def _gambler(world: World, trader: Trader, weekday: int, hour: int) -> int:
    tickets = _open_positions(world, trader)
    made = 0
    for ticket in tickets:
        if trader.rng.random() < 0.1:
            made += _close(world, trader, ticket)
    if len(tickets) < 3 and trader.rng.random() < 0.05:
        symbol = trader.rng.choice(VOLATILE)
        lots = {"XAUUSD": (0.5, 1, 2), "US30": (2, 5, 10), "GER40": (2, 5, 10)}[symbol]
        made += _open(world, trader, symbol, trader.rng.randrange(2), trader.lots(trader.rng.choice(lots)))
    return made


def _weekend_holder(world: World, trader: Trader, weekday: int, hour: int) -> int:
    tickets = _open_positions(world, trader)
    if weekday == 4 and hour >= 18:
        if not tickets:
            symbol = trader.rng.choice(FX)
            return _open(world, trader, symbol, trader.rng.randrange(2), trader.lots(1))
        return 0
    if tickets and weekday == 0 and hour >= 2:
        return sum(_close(world, trader, t) for t in tickets)  # Monday: the weekend was held
    return 0


def _oversized(world: World, trader: Trader, weekday: int, hour: int) -> int:
    tickets = _open_positions(world, trader)
    if tickets:
        return sum(_close(world, trader, t) for t in tickets if trader.ages.get(t, 0) >= 3)
    if trader.rng.random() < 0.01:
        symbol = trader.rng.choice(FX)
        return _open(world, trader, symbol, trader.rng.randrange(2), trader.lots(25))
    return 0


def _close_all(world: World, trader: Trader) -> int:
    made = 0
    for ticket in sorted(world.accounts[trader.login].positions):
        made += _close(world, trader, ticket)
    trader.ages.clear()
    return made


def _hedger(world: World, trader: Trader, weekday: int, hour: int) -> int:
    """The pair's leader trades for both: opposite sides, the same relative size, closed together."""
    if trader.led or not trader.crew:
        return 0
    partner = world.traders.get(trader.crew[0])
    if partner is None or partner.login not in world.accounts:
        return 0
    tickets = _open_positions(world, trader)
    if tickets:
        profit = world.account(trader.login).profit
        aged = max(trader.ages.values(), default=0) >= 4
        if aged or abs(profit) >= trader.start_balance * Decimal("0.01"):
            return _close_all(world, trader) + _close_all(world, partner)
        return 0
    if weekday == 4 and hour >= 20 or trader.rng.random() < 0.6:
        return 0
    symbol = trader.rng.choice(FX)
    side = trader.rng.randrange(2)
    per_100k = trader.rng.choice((4, 5, 6))
    made = _open(world, trader, symbol, side, trader.lots(per_100k))
    return made + _open(world, partner, symbol, 1 - side, partner.lots(per_100k))


def _copier(world: World, trader: Trader, weekday: int, hour: int) -> int:
    """The ring's first account picks the signal; every member opens it at once and closes with it."""
    if trader.led or not trader.crew:
        return 0
    members = [world.traders[m] for m in trader.crew if m in world.traders and m in world.accounts]
    tickets = _open_positions(world, trader)
    if tickets:
        profit = world.account(trader.login).profit
        if profit >= trader.start_balance * Decimal("0.005") or profit <= -trader.start_balance * Decimal("0.003"):
            return _close_all(world, trader) + sum(_close_all(world, m) for m in members)
        return 0
    if weekday == 4 and hour >= 20 or trader.rng.random() < 0.6:
        return 0
    symbol = trader.rng.choice(FX)
    side = _trend_side(world, symbol)
    per_100k = trader.rng.choice((2, 3))
    made = _open(world, trader, symbol, side, trader.lots(per_100k))
    for member in members:
        try:
            made += _open(world, member, symbol, side, member.lots(per_100k))
        except TradeError:
            pass  # a member that may not trade (failed, disabled) drops out of the ring
    return made


def _straddler(world: World, trader: Trader, weekday: int, hour: int) -> int:
    """Both sides of a symbol held across a news release; the loser closed first once it is out."""
    tickets = _open_positions(world, trader)
    now = world.clock.now()
    if tickets:
        if trader.straddling is not None and now <= trader.straddling:
            return 0  # the release is not out yet
        trader.straddling = None
        if len(tickets) > 1:
            legs = [world.positions[t] for t in tickets]
            buy = next((p for p in legs if p.action == 0), None)
            # the buy loses when the bid is under its open price, else the sell does
            losing = 0 if buy is not None and world.market.bid(buy.symbol) < buy.price_open else 1
            return _close(world, trader, next((p.ticket for p in legs if p.action == losing), legs[0].ticket))
        return _close(world, trader, tickets[0])
    upcoming = next_release(world.news, now)
    if upcoming is None or upcoming.at - now > STRADDLE_LEAD or weekday == 4 and hour >= 20:
        return 0
    symbols = [s for s in FX if upcoming.moves(s)] or list(FX)
    symbol = trader.rng.choice(symbols)
    lots = trader.lots(trader.rng.choice((3, 4, 5)))
    made = _open(world, trader, symbol, 0, lots) + _open(world, trader, symbol, 1, lots)
    trader.straddling = upcoming.at
    return made


def _scalper(world: World, trader: Trader, weekday: int, hour: int) -> int:
    """Fills at the previous round's quote when the market has moved past the spread since: a stale price."""
    made = 0
    for symbol in FX:
        bid, ask = world.market.bid(symbol), world.market.ask(symbol)
        old = trader.stale.get(symbol)
        trader.stale[symbol] = (bid, ask)
        if old is None or made or weekday == 4 and hour >= 20 or trader.rng.random() < 0.85:
            continue
        old_bid, old_ask = old
        if bid > old_ask:  # risen past the spread: buy at the old ask, sell at today's bid
            ticket = world.open_position(trader.login, symbol, 0, trader.lots(1), price=old_ask, reason=REASON_CLIENT)
        elif ask < old_bid:
            ticket = world.open_position(trader.login, symbol, 1, trader.lots(1), price=old_bid, reason=REASON_CLIENT)
        else:
            continue
        world.close_position(trader.login, ticket, reason=REASON_CLIENT)
        made += 2
    return made


def _start_ladder(world: World, trader: Trader, weekday: int, hour: int) -> int | None:
    """A ladder trader's turn without a ladder: the ticket of a first half-lot entry (on a random FX symbol
    and side, half the time, not before the weekend), None when it does not start one. With a ladder (its
    rungs still open kept), 0."""
    tickets = set(_open_positions(world, trader))
    trader.ladder = [rung for rung in trader.ladder if rung[0] in tickets]
    if trader.ladder:
        return 0
    if tickets or weekday == 4 and hour >= 20 or trader.rng.random() < 0.5:
        return None
    symbol, side, lots = trader.rng.choice(FX), trader.rng.randrange(2), trader.lots(0.5)
    ticket = world.open_position(trader.login, symbol, side, lots, reason=REASON_CLIENT)
    trader.ladder.append((ticket, symbol, side, lots))
    return ticket


def _martingale(world: World, trader: Trader, weekday: int, hour: int) -> int:
    """Doubles against a loss, up to five levels; out at the first net profit (or a 3 % stop at the last)."""
    started = _start_ladder(world, trader, weekday, hour)
    if started is None:
        return 0
    if started:
        return 1
    profit = world.account(trader.login).profit
    if profit > 0 or len(trader.ladder) >= 5 and profit <= -trader.start_balance * Decimal("0.03"):
        made = _close_all(world, trader)  # the first net profit, or the stop at the last level
        trader.ladder.clear()
        return made
    _, symbol, side, lots = trader.ladder[-1]
    step = trader.start_balance * Decimal("0.002") * len(trader.ladder)
    if profit <= -step and len(trader.ladder) < 5:
        ticket = world.open_position(trader.login, symbol, side, lots * 2, reason=REASON_CLIENT)
        trader.ladder.append((ticket, symbol, side, lots * 2))
        return 1
    return 0


GRID_LEVELS = 6
GRID_FULL = 4  # a ladder started is taken to four levels before it is closed at a profit ...
GRID_PATIENCE = 24  # ... unless its first entry has waited this many rounds
GRID_SPACING = Decimal("0.0008")  # of the first entry's price


def _grid(world: World, trader: Trader, weekday: int, hour: int) -> int:
    """Same-size entries every fixed distance against the first, filled at their level (a limit order)."""
    started = _start_ladder(world, trader, weekday, hour)
    if started is None:
        return 0
    if started:
        first = world.positions[started].price_open
        point = world.market.spec(trader.ladder[0][1]).point
        trader.stale["grid"] = (first, max(point, (first * GRID_SPACING).quantize(point)))
        return 1
    profit = world.account(trader.login).profit
    levels = len(trader.ladder)
    ready = levels == 1 or levels >= GRID_FULL or trader.ages.get(trader.ladder[0][0], 0) > GRID_PATIENCE
    if (
        profit >= trader.start_balance * Decimal("0.001") and ready
        or profit <= -trader.start_balance * Decimal("0.03")
        or weekday == 4 and hour >= 20
    ):
        made = _close_all(world, trader)
        trader.ladder.clear()
        return made
    if len(trader.ladder) >= GRID_LEVELS:
        return 0
    _, symbol, side, lots = trader.ladder[0]
    first, spacing = trader.stale["grid"]
    level = first - spacing * len(trader.ladder) if side == 0 else first + spacing * len(trader.ladder)
    reached = world.market.ask(symbol) <= level if side == 0 else world.market.bid(symbol) >= level
    if not reached:
        return 0
    ticket = world.open_position(trader.login, symbol, side, lots, price=level, reason=REASON_CLIENT)
    trader.ladder.append((ticket, symbol, side, lots))
    return 1


_ACT = {
    "hedger": _hedger,
    "copier": _copier,
    "scalper": _scalper,
    "martingale": _martingale,
    "straddler": _straddler,
    "grid": _grid,
    "careful": _careful,
    "reckless": _reckless,
    "bleeder": _bleeder,
    "gambler": _gambler,
    "weekend_holder": _weekend_holder,
    "oversized": _oversized,
}
