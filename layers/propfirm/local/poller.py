"""The poller of a local run: the real `Poller` against the simulator, in a thread of its own.

It polls at its minimum interval (1 s); snapshot times come from the simulator's clock, so a fast
simulated clock rolls trading days. Its gateway names the run's server (`dev-<run id>`), which is the
`server` of every `(server, login)` it writes.

The heartbeat (an unchanged account is sent again after a while, so the evaluator renews its floor after
a daily reset) is counted in real seconds by the poller. In AWS it is 60 s; here it is a simulated hour
(never more than those 60 real seconds): at a fast speed, every cycle. Otherwise an idle account's floor,
which expires at the reset, would stay unrenewed for simulated weeks, and the kill switch would be
blind to it meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from propfirm.domain.programs import Program
from propfirm.local.faults.traps import Crash, PollerTrap
from propfirm.mt5.settings import Mt5Settings, gateway_from_settings
from propfirm.poller.cycle import CycleReport
from propfirm.poller.runner import Poller
from propfirm.poller.settings import PollerSettings
from propfirm.settings import load
from propfirm.sim.testing import Simulator

log = logging.getLogger("propfirm.dev")
GATEWAY_TIMEOUT_SECONDS = 10


def heartbeat_seconds(speed: float, simulated: float = 3600.0, real_at_most: float = 60.0) -> float:
    """Real seconds after which the poller sends an unchanged account again: a simulated hour, at most
    a real minute (AWS's setting); a fast clock makes that every cycle."""
    return min(real_at_most, simulated / speed) if speed > 0 else real_at_most


@dataclass(frozen=True)
class CycleRecord:
    cycle: int
    began: float  # time.monotonic() when the cycle started reading MT5
    seconds: float
    kills: tuple[int, ...]  # logins whose kill switch the cycle pulled


class TimedPoller(Poller):
    """The real poller, remembering how long its recent cycles took and which accounts they killed
    (the live status line's cycle time; tests check a kill came within one cycle of a breach)."""

    def __init__(self, *args: object, keep: int = 600, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.records: deque[CycleRecord] = deque(maxlen=keep)
        self.cycles_timed = 0
        self.total_seconds = 0.0
        self.max_seconds = 0.0

    def run_cycle(self) -> CycleReport:
        began = time.monotonic()
        report = super().run_cycle()
        seconds = time.monotonic() - began
        self.records.append(CycleRecord(report.cycle, began, seconds, tuple(k.login for k in report.kills)))
        self.cycles_timed += 1
        self.total_seconds += seconds
        self.max_seconds = max(self.max_seconds, seconds)
        return report


class PollerService:
    def __init__(
        self,
        *,
        simulator: Simulator,
        server: str,
        redis_client: redis.Redis,
        redis_url: str,
        redis_namespace: str,
        sqs: Any,
        evaluation_queue: str,
        command_queue: str,
        programs: Sequence[Program],
        stop: threading.Event,
        speed: float = 1.0,
        trap: PollerTrap | None = None,
    ) -> None:
        self.mt5_settings = load(
            Mt5Settings,
            url=simulator.url,
            manager_login=simulator.manager_login,
            manager_password=simulator.manager_password,
            ca_file=Path(simulator.cafile) if simulator.cafile else None,
            server_name=server,
            timeout_seconds=GATEWAY_TIMEOUT_SECONDS,
        )
        self.settings = load(
            PollerSettings,
            redis_url=redis_url,
            redis_namespace=redis_namespace,
            evaluation_queue_url=evaluation_queue,
            command_queue_url=command_queue,
            poller_interval_seconds=1.0,
            poller_shard_count=4,  # a few hundred accounts: a handful of messages a cycle
            poller_command_wait_seconds=1,
            poller_heartbeat_seconds=heartbeat_seconds(speed),
        )
        self.redis_client = redis_client
        self.sqs = sqs
        self.programs = programs
        self.trap = trap
        self.restarts = 0  # after an injected crash
        self.poller = self._new_poller()
        self.stop_event = stop
        self.exit_status: int | None = None
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def _new_poller(self, previous: TimedPoller | None = None) -> TimedPoller:
        """A poller as its task starts: a new MT5 session, state from Redis (the cycle times carried over)."""
        gateway = gateway_from_settings(self.mt5_settings)
        if self.trap is not None:
            gateway = self.trap.wrap(gateway)
        poller = TimedPoller(
            gateway=gateway,
            redis_client=self.redis_client,
            sqs_client=self.sqs,
            settings=self.settings,
            programs=self.programs,
            # the tick path's own MT5 session and thread, as deployed
            tick_gateway=gateway_from_settings(self.mt5_settings)
            if self.settings.poller_tick_interval_seconds > 0
            else None,
            open_session=lambda: gateway_from_settings(self.mt5_settings),
        )
        if previous is not None:
            poller.records = previous.records
            poller.cycles_timed = previous.cycles_timed
            poller.total_seconds = previous.total_seconds
            poller.max_seconds = previous.max_seconds
        return poller

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="dev-poller", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while True:
                try:
                    self.exit_status = self.poller.run(self.stop_event)
                    return
                except Crash as crash:  # the task died mid-cycle: ECS starts another
                    log.warning("poller crashed (%s); restarting", crash)
                    self.restarts += 1
                    self.poller = self._new_poller(previous=self.poller)
        except Exception as exc:  # MissingGroups or a bug: the run stops, the summary says why
            log.exception("the poller stopped")
            self.error = exc
            self.stop_event.set()

    @property
    def cycles(self) -> int:
        cycle = self.poller.cycle
        return cycle.cycle if cycle is not None else 0

    def cycle_times(self) -> dict[str, float]:
        """Cycle time in milliseconds: the last cycle's, the mean and the maximum of the run."""
        p = self.poller
        if not p.cycles_timed:
            return {}
        return {
            "last": round(p.records[-1].seconds * 1000, 1),
            "mean": round(p.total_seconds / p.cycles_timed * 1000, 1),
            "max": round(p.max_seconds * 1000, 1),
        }

    def join(self, timeout: float = 15.0) -> bool:
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()
