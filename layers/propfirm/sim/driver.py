"""Keeps a running world alive: market ticks and trader rounds as simulated time passes.

One tick per `tick` of simulated time (default one minute), and a round of the
scripted traders every `trader_every` ticks (default 15: each trader decides every
quarter of an hour, about 18 deals per account per simulated day in the default
mix). `run_due()` does whatever the clock has made due since the last call (capped
per call, so a huge `--speed` degrades to fewer ticks rather than a stalled
server); `propfirm sim` calls it in a loop, and `propfirm dev` can do the same.
With a frozen clock (`speed 0`) nothing is due.
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
    ) -> None:
        if tick <= timedelta(0) or trader_every < 1:
            raise ValueError("tick must be positive and trader_every at least 1")
        self.world = world
        self.tick = tick
        self.trader_every = trader_every
        self.max_ticks_per_call = max_ticks_per_call
        self._last = world.clock.now()
        self.ticks = 0
        self.trades = 0

    def run_due(self) -> int:
        """Run the ticks (and trader rounds) due by now; returns how many ticks ran."""
        now = self.world.clock.now()
        due = int((now - self._last) / self.tick)
        if due <= 0:
            return 0
        ran = min(due, self.max_ticks_per_call)
        # skipped ticks are dropped, not queued: the clock is the authority
        self._last = self._last + self.tick * due
        for _ in range(ran):
            # no lock across the tick: step and the trader round take it in chunks
            self.world.step()
            self.ticks += 1
            if self.ticks % self.trader_every == 0:
                self.trades += self.world.run_traders()
        return ran

    def run_forever(self, stop: threading.Event, interval: float = 0.2) -> None:
        while not stop.wait(interval):
            self.run_due()
