"""Keeps a running world alive: market ticks and trader rounds as simulated time passes.

One tick per `tick` of simulated time (default one minute), and a round of the
scripted traders every `trader_every` ticks (default 15: each trader decides every
quarter of an hour, about 18 deals per account per simulated day in the default
mix). `run_due()` does whatever the clock has made due since the last call (capped
per call, so a huge `--speed` degrades to fewer ticks rather than a stalled
server); `propfirm sim` calls it in a loop, and `propfirm dev` can do the same.
With a frozen clock (`speed 0`) nothing is due.

At most one trader round runs per call, the others due wait for the next calls (up to
`max_rounds_waiting`): a deal is stamped with the clock's time when it is made, so two
rounds in one call would share an instant, and a position opened in one and closed in
the next would look held for no time at all (a scalper to the abuse detectors). The loop
calls often enough at the clock's speed for a round to be due about once a call. A driver
far behind (a loaded machine) runs the rounds beyond those at once rather than drop any:
the traders trade as often per simulated day whatever the load (`rounds_bunched` counts them).
"""

from __future__ import annotations

import threading
from datetime import timedelta

from propfirm.sim.world import World


class MarketDriver:
    def __init__(
        self,
        world: World,
        tick: timedelta = timedelta(minutes=1),
        trader_every: int = 15,
        max_ticks_per_call: int = 600,
        max_rounds_waiting: int = 3,
    ) -> None:
        if tick <= timedelta(0) or trader_every < 1:
            raise ValueError("tick must be positive and trader_every at least 1")
        self.world = world
        self.tick = tick
        self.trader_every = trader_every
        self.max_ticks_per_call = max_ticks_per_call
        self.max_rounds_waiting = max_rounds_waiting
        self.rounds_waiting = 0
        self.rounds_bunched = 0  # rounds run at an instant shared with another (the driver far behind)
        self._last = world.clock.now()
        self.ticks = 0
        self.trades = 0
        self.dropped = 0  # ticks the clock made due that were skipped (the driver fell behind)

    def run_due(self) -> int:
        """Run the ticks (and trader rounds) due by now; returns how many ticks ran."""
        now = self.world.clock.now()
        due = int((now - self._last) / self.tick)
        ran = 0
        if due > 0:
            ran = min(due, self.max_ticks_per_call)
            self.dropped += due - ran
            # skipped ticks are dropped, not queued: the clock is the authority
            self._last = self._last + self.tick * due
            for _ in range(ran):
                # no lock across the tick: step and the trader round take it in chunks
                self.world.step()
                self.ticks += 1
                if self.ticks % self.trader_every == 0:
                    self.rounds_waiting += 1
            while self.rounds_waiting > self.max_rounds_waiting:  # far behind: catch up now, never drop a round
                self.rounds_waiting -= 1
                self.rounds_bunched += 1
                self.trades += self.world.run_traders()
        if self.rounds_waiting:  # one round a call: each at an instant of its own
            self.rounds_waiting -= 1
            self.trades += self.world.run_traders()
        return ran

    def interval(self, longest: float = 0.2, shortest: float = 0.005) -> float:
        """The pause between calls: about a third of a trader round's real duration at the clock's speed."""
        speed = self.world.clock.speed
        if speed <= 0:
            return longest
        round_seconds = (self.tick * self.trader_every).total_seconds() / speed
        return max(shortest, min(longest, round_seconds / 3))

    def run_forever(self, stop: threading.Event, interval: float | None = None) -> None:
        """Until `stop`: calls as often as the clock's speed needs (`interval()`), at once while rounds wait."""
        while not stop.wait(0 if self.rounds_waiting else interval or self.interval()):
            self.run_due()
