"""Symbols and their moving prices: a seeded random walk, deterministic per seed.

Each `step()` moves every symbol's mid price by one tick: a return with a little
momentum (`phi`) plus a slow trend regime (a drift of a fraction of the volatility
that changes direction now and then), then bid = mid rounded to the symbol's digits
and ask = bid + spread. `trend(symbol)` tells which side of its moving average a
price is on: trend followers (the careful scripted traders) have an edge, faders
(the bleeders) a handicap, as in real markets with persistent trends. Prices are
`Decimal`; the walk itself runs in floats, which is fine for a price generator
(money is computed from the Decimal prices).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import Decimal

LOT = 10_000  # MT5 `Volume` units per lot (1 unit = 0.0001 lot)
LOT_EXT = 100_000_000  # `VolumeExt` units per lot
REGIME_CHANGE = 1 / 240  # chance per tick that a symbol's trend changes
DRIFTS = (-0.25, -0.15, 0.15, 0.25)  # trend drift per tick, in units of the volatility
AVERAGE_WEIGHT = 2 / 31  # exponential moving average over about 30 ticks


@dataclass(frozen=True)
class SymbolSpec:
    name: str
    digits: int
    contract_size: Decimal
    base_currency: str  # margin currency for FX; for CFDs the profit currency
    profit_currency: str
    start_bid: Decimal
    spread_points: int
    volatility: float  # relative standard deviation of one tick's return
    fx: bool  # FX margin: lots * contract size in base currency; CFD: lots * contract size * price
    swap_long: Decimal  # per lot per night, in USD
    swap_short: Decimal
    tree_path: str = ""  # set by a configuration write (`symbol/add` with `Path`); else derived below

    @property
    def path(self) -> str:
        """The symbol's place in the server's symbol tree (what `symbol=` masks match)."""
        if self.tree_path:
            return self.tree_path
        if self.fx:
            return f"Forex\\Major\\{self.name}"
        return f"Metals\\{self.name}" if self.name.startswith("XA") else f"Indices\\{self.name}"

    @property
    def point(self) -> Decimal:
        return Decimal(1).scaleb(-self.digits)

    @property
    def spread(self) -> Decimal:
        return self.point * self.spread_points


DEFAULT_SYMBOLS: tuple[SymbolSpec, ...] = (
    SymbolSpec(
        "EURUSD",
        5,
        Decimal(100_000),
        "EUR",
        "USD",
        Decimal("1.08500"),
        12,
        0.0003,
        True,
        Decimal("-7.20"),
        Decimal("2.10"),
    ),
    SymbolSpec(
        "GBPUSD",
        5,
        Decimal(100_000),
        "GBP",
        "USD",
        Decimal("1.26500"),
        15,
        0.00035,
        True,
        Decimal("-5.40"),
        Decimal("0.80"),
    ),
    SymbolSpec(
        "USDJPY",
        3,
        Decimal(100_000),
        "USD",
        "JPY",
        Decimal("150.000"),
        14,
        0.00035,
        True,
        Decimal("9.80"),
        Decimal("-21.50"),
    ),
    SymbolSpec(
        "XAUUSD",
        2,
        Decimal(100),
        "USD",
        "USD",
        Decimal("2350.00"),
        30,
        0.0006,
        False,
        Decimal("-35.00"),
        Decimal("12.00"),
    ),
    SymbolSpec(
        "US30",
        1,
        Decimal(1),
        "USD",
        "USD",
        Decimal("39000.0"),
        20,
        0.0005,
        False,
        Decimal("-3.10"),
        Decimal("-1.20"),
    ),
    SymbolSpec(
        "GER40",
        1,
        Decimal(1),
        "EUR",
        "EUR",
        Decimal("18000.0"),
        15,
        0.0005,
        False,
        Decimal("-2.40"),
        Decimal("-0.90"),
    ),
)


class Market:
    """Current prices of a set of symbols; `version` changes whenever any price does.

    The symbols given at the start walk on their own; a symbol added later (`configure` with a
    source, as `symbol/add` does) is quoted from its source's mid at its own digits and spread, the way
    a server feeds a custom symbol from another. It draws nothing from the walk's random numbers, so
    adding one leaves every other path as the seed gives it.
    """

    def __init__(
        self, seed: int = 1, symbols: tuple[SymbolSpec, ...] = DEFAULT_SYMBOLS, phi: float = 0.25
    ) -> None:
        self._rng = random.Random(f"market:{seed}")
        self.specs: dict[str, SymbolSpec] = {s.name: s for s in symbols}
        self._mid: dict[str, float] = {s.name: float(s.start_bid + s.spread / 2) for s in symbols}
        self._last_return: dict[str, float] = {s.name: 0.0 for s in symbols}
        self._bid: dict[str, Decimal] = {}
        self._phi = phi
        self._drift: dict[str, float] = {s.name: 0.0 for s in symbols}
        self._average: dict[str, float] = dict(self._mid)
        self.version = 0
        self.changed: dict[str, int] = {s.name: 0 for s in symbols}  # symbol -> version of its last change
        self.sources: dict[str, str] = {}  # symbol added later -> the symbol it is quoted from
        self.ticks = 0
        for name in self.specs:
            self._publish(name)

    def _publish(self, name: str) -> None:
        spec = self.specs[name]
        bid = Decimal(repr(self._mid[name])) - spec.spread / 2
        self._bid[name] = bid.quantize(spec.point)

    def spec(self, symbol: str) -> SymbolSpec:
        try:
            return self.specs[symbol]
        except KeyError:
            raise KeyError(f"unknown symbol {symbol!r}") from None

    def bid(self, symbol: str) -> Decimal:
        return self._bid[symbol]

    def ask(self, symbol: str) -> Decimal:
        return self._bid[symbol] + self.specs[symbol].spread

    def trend(self, symbol: str) -> int:
        """0 (up: buy) when the mid is above its moving average, else 1 (down: sell)."""
        return 0 if self._mid[symbol] >= self._average[symbol] else 1

    def step(self) -> None:
        """Move every symbol by one tick (in a fixed order, so a seed gives one path)."""
        for name in sorted(self.specs):
            if name in self.sources:
                continue
            spec = self.specs[name]
            if self._rng.random() < REGIME_CHANGE:
                self._drift[name] = self._rng.choice(DRIFTS)
            noise = self._rng.gauss(0.0, spec.volatility)
            ret = self._phi * self._last_return[name] + self._drift[name] * spec.volatility + noise
            self._last_return[name] = ret
            self._mid[name] *= math.exp(ret)
            self._average[name] += AVERAGE_WEIGHT * (self._mid[name] - self._average[name])
            self._publish(name)
        for name, source in self.sources.items():
            self._follow(name, source)
        self.ticks += 1
        self.version += 1
        for name in self.specs:
            self.changed[name] = self.version

    def _follow(self, name: str, source: str) -> None:
        self._mid[name] = self._mid[source]
        self._average[name] = self._average[source]
        self._last_return[name] = self._last_return[source]
        self._publish(name)

    def configure(self, spec: SymbolSpec, source: str | None = None) -> None:
        """Add a symbol quoted from `source` (a symbol that walks on its own), or change a symbol's
        configuration (`source` None: its quotes come as before, at the new digits and spread)."""
        if spec.name not in self.specs:
            if source is None or source not in self.specs or source in self.sources:
                raise KeyError(f"a new symbol is quoted from a symbol of the market's own: {source!r}")
            self.sources[spec.name] = source
            self.specs[spec.name] = spec
            self._follow(spec.name, source)
        else:
            self.specs[spec.name] = spec
            self._publish(spec.name)
        self.version += 1
        self.changed[spec.name] = self.version

    def remove(self, symbol: str) -> None:
        """Remove a symbol added by `configure`; the market's own symbols stay (prices and rates stand on
        them)."""
        if symbol not in self.sources:
            raise KeyError(f"{symbol!r} is one of the market's own symbols")
        for table in (self.specs, self.sources, self._mid, self._average, self._last_return,
                      self._bid, self.changed):
            table.pop(symbol, None)
        self.version += 1

    def set_price(self, symbol: str, bid: Decimal | str | float) -> None:
        """Set a symbol's bid exactly (tests); the ask follows at the spread."""
        spec = self.spec(symbol)
        value = Decimal(str(bid)).quantize(spec.point)
        if value <= 0:
            raise ValueError("a price must be positive")
        self._mid[symbol] = float(value + spec.spread / 2)
        self._average[symbol] = self._mid[symbol]
        self._bid[symbol] = value
        self.version += 1
        self.changed[symbol] = self.version

    def rate(self, from_currency: str, to_currency: str) -> Decimal:
        """How many `to_currency` one `from_currency` buys, from the FX symbols (bid)."""
        if from_currency == to_currency:
            return Decimal(1)
        direct = from_currency + to_currency
        if direct in self.specs and self.specs[direct].fx:
            return self._bid[direct]
        inverse = to_currency + from_currency
        if inverse in self.specs and self.specs[inverse].fx:
            return Decimal(1) / self._bid[inverse]
        if from_currency != "USD" and to_currency != "USD":
            return self.rate(from_currency, "USD") * self.rate("USD", to_currency)
        raise KeyError(f"no rate from {from_currency} to {to_currency}")
