"""What a local run is asked to do (`propfirm dev`'s flags) and the names that keep runs apart."""

from __future__ import annotations

import secrets
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from propfirm.local.faults.spec import PlannedFault

# A simulated day every 4 real seconds: a 60-second run covers two simulated weeks, enough for the
# careful traders to pass a phase (at least 3-4 trading days at +0.4 % a trade) while the reckless
# ones fail on their first day. The poller still polls once a second (its minimum).
DEFAULT_SPEED = 21_600.0
DEFAULT_ACCOUNTS = 200
DEFAULT_API_PORT = 8080


@dataclass(frozen=True)
class DevOptions:
    database_url: str
    redis_url: str
    accounts: int = DEFAULT_ACCOUNTS
    seed: int = 1
    speed: float = DEFAULT_SPEED
    start: datetime | None = None  # the simulated clock's first instant; None: now
    duration: float | None = None  # seconds; None: until a signal
    headless: bool = False
    api_port: int = DEFAULT_API_PORT
    sim_port: int = 0
    programs: Path | None = None
    auto_approve: bool = True  # the scripted admin approves payouts that waited 2 real seconds
    trader_desk: bool = True  # scripted funded traders ask for their payouts through the API
    tls: bool = True
    funded_days: int | None = None  # None: the programs' longest payout_min_days
    run_id: str = field(default_factory=lambda: secrets.token_hex(4))
    run_dir: Path | None = None
    truth: Path | None = None  # the run's ground truth (propfirm.sim.truth) and the summary's `detection`
    abusers: bool = True  # scripted abusers in first phases, and the summary's `abuse` findings
    news: bool = False  # the simulated news calendar listed in PostgreSQL, and straddlers among the abusers
    sessions: bool = False  # the simulator keeps each symbol's trading sessions (propfirm.sim.sessions)
    netting: tuple[str, ...] = ()  # masks of the simulator's netting groups
    webhook: str | None = None  # an outbound webhook receiver for every event (the summary's `webhooks`)
    faults: tuple[PlannedFault, ...] = ()  # --faults: what to break, and when (propfirm.local.faults)

    @property
    def server(self) -> str:
        """The `server` of every `(server, login)` of this run: its challenges never meet another run's."""
        return f"dev-{self.run_id}"

    @property
    def redis_namespace(self) -> str:
        return f"dev:{self.run_id}:"

    def directory(self) -> Path:
        """Where the run keeps its logs and the simulator's certificate."""
        path = self.run_dir or Path(tempfile.gettempdir()) / "propfirm-dev" / self.run_id
        path.mkdir(parents=True, exist_ok=True)
        return path


def without_password(url: str) -> str:
    """The URL with its password masked (an empty one, as pgserver's, stays as it is)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))
