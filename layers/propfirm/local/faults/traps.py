"""Crash points: a process that dies in the middle of its work, at a step chosen on purpose.

`Crash` derives from BaseException, so no `except Exception` on the way (a retry loop, the batch
processor's per-record handling) can swallow it: it unwinds the whole invocation, as a killed process
would end it. The local stack catches it at the top of the part, counts it and starts the part afresh
(a new Lambda container, a restarted poller task), with nothing carried over but what the stores hold.

The evaluator's steps of a transition, in order (`EVALUATOR_STEPS`):
- `after-commit`: the decision, the new state and its commands are committed, nothing sent yet;
- `after-commands`: the commands are on the command queue, the floors and caches not yet written;
- `after-floors`: floors and caches written, the events not yet on the bus;
- `before-delete`: the whole batch handled, its messages not deleted from the queue.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

EVALUATOR_STEPS = ("after-commit", "after-commands", "after-floors", "before-delete")


class Crash(BaseException):  # noqa: N818 - a process death, not an error anyone handles
    """The process died here (injected)."""


class EvaluatorTrap:
    """Armed once: the next transition the evaluator records dies at one of `EVALUATOR_STEPS`."""

    def __init__(self, seed: int = 1) -> None:
        self._rng = random.Random(f"evaluator-crash:{seed}")
        self._lock = threading.Lock()
        self.step: str | None = None  # the armed step
        self.crashes: list[str] = []  # the steps it died at
        self._in_transition = False
        self._die_before_delete = False

    def arm(self) -> str:
        with self._lock:
            self.step = self._rng.choice(EVALUATOR_STEPS)
            return self.step

    def wrap(self, evaluator: Any) -> None:
        """Put the crash points between the evaluator's steps (its relay and its live-state writer)."""
        evaluator.relay = _Relay(evaluator.relay, self)
        evaluator.live = _Live(evaluator.live, self)

    def reached(self, step: str) -> None:
        """Called at each step; dies there when armed for it."""
        with self._lock:
            if self.step != step:
                return
            if step == "after-commands" and not self._in_transition:
                return
            if step == "before-delete":
                if not self._die_before_delete:
                    return
            self.step = None
            self._in_transition = False
            self._die_before_delete = False
            self.crashes.append(step)
        raise Crash(f"evaluator killed {step}")

    def transition_seen(self, done: bool) -> None:
        with self._lock:
            self._in_transition = not done
            if done and self.step == "before-delete":
                self._die_before_delete = True


class _Relay:
    def __init__(self, relay: Any, trap: EvaluatorTrap) -> None:
        self._relay = relay
        self._trap = trap

    def __getattr__(self, name: str) -> Any:
        return getattr(self._relay, name)

    def run(self) -> int:  # the evaluator calls it right after committing a transition
        self._trap.reached("after-commit")
        sent = int(self._relay.run())
        self._trap.transition_seen(done=False)
        return sent

    def run_events(self) -> int:
        self._trap.reached("after-floors")
        sent = int(self._relay.run_events())
        self._trap.transition_seen(done=True)
        return sent


class _Live:
    def __init__(self, live: Any, trap: EvaluatorTrap) -> None:
        self._live = live
        self._trap = trap

    def __getattr__(self, name: str) -> Any:
        return getattr(self._live, name)

    def write(self, *args: Any, **kwargs: Any) -> Any:
        self._trap.reached("after-commands")
        return self._live.write(*args, **kwargs)


class PollerTrap:
    """Armed once: the poller dies on its gateway's next-but-one call (mid-cycle: the first call of a
    cycle has been answered, the rest of the cycle has not run)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._countdown: int | None = None
        self.crashes = 0

    def arm(self, calls: int = 2) -> None:
        with self._lock:
            self._countdown = calls

    def call(self) -> None:
        with self._lock:
            if self._countdown is None:
                return
            self._countdown -= 1
            if self._countdown > 0:
                return
            self._countdown = None
            self.crashes += 1
        raise Crash("poller killed mid-cycle")

    def wrap(self, gateway: Any) -> Any:
        return _Gateway(gateway, self)


class _Gateway:
    def __init__(self, gateway: Any, trap: PollerTrap) -> None:
        self._gateway = gateway
        self._trap = trap

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._gateway, name)
        if not callable(value) or name.startswith("_") or name == "close":
            return value
        return _trapped(value, self._trap)


def _trapped(method: Callable[..., Any], trap: PollerTrap) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        trap.call()
        return method(*args, **kwargs)

    return call
