"""Redis key layout of the live state (a contract: the evaluator and the alarms read these keys).

Every key starts with an optional namespace prefix (tests and shared Redis servers), then:

    acct:{<server>:<login>}:snap     last snapshot the poller wrote (JSON, see `records.Snapshot`)
    acct:{<server>:<login>}:state    challenge state, versioned (written by the evaluator)
    acct:{<server>:<login>}:floor    equity floor (JSON, see `records.FloorRecord`; `floors.write_floor`)
    acct:{<server>:<login>}:floor_hold  a withdrawal on its way (JSON {"amount": "3000.00", "comment":
                                     "payout 17"}): the evaluator publishes its floor lowered by the amount
                                     until it has judged the withdrawal's deal (`propfirm.live.holds`)
    poller:{<server>}:state          hash: `cycle` (last cycle number), `cursor` (deal cursor, epoch ms),
                                     `outbox` (the last cycle's deal-carrying messages, resent on restart)
    poller:{<server>}:deals_seen     sorted set: deal ticket -> deal time (epoch ms); trimmed by time
    poller:{<server>}:heartbeat      JSON {"time": ISO UTC, "epoch": seconds, "cycle": n,
                                     "accounts": k, "duration_seconds": the cycle's own time}
                                     of the last good cycle (the infrastructure alarms on its age)
    poller:{<server>}:blind          list of JSON {"from", "to", "seconds", "failed_cycles", "cause"}:
                                     the gaps between good cycles (`propfirm.live.blind`), newest first
    poller:{<server>}:gaps           list of JSON: each blind interval checked against MT5's deals and
                                     price bars, the accounts that breached or may have breached in it
                                     (`propfirm.poller.gap_review`), newest first
    cmd:{<command_id>}               command record: {"status": "started"|"done", "result": {...}}

Several pollers of one server (each watching its own groups, `POLLER_NAME`) keep their own
`poller:{<server>}:<name>:state|deals_seen|heartbeat`; the unnamed poller uses the keys above.

The braces are Redis Cluster hash tags: one account's keys share a slot, and one server's poller keys
share a slot, so the cycle's pipeline and the evaluator's reads never need cross-slot commands.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LiveKeys:
    """Builds every live-state key behind one namespace prefix."""

    namespace: str = ""

    def account_prefix(self, server: str, login: int) -> str:
        return f"{self.namespace}acct:{{{server}:{login}}}:"

    def snap(self, server: str, login: int) -> str:
        return f"{self.namespace}acct:{{{server}:{login}}}:snap"

    def state(self, server: str, login: int) -> str:
        return f"{self.namespace}acct:{{{server}:{login}}}:state"

    def floor(self, server: str, login: int) -> str:
        return f"{self.namespace}acct:{{{server}:{login}}}:floor"

    def _poller(self, server: str, name: str) -> str:
        base = f"{self.namespace}poller:{{{server}}}:"
        return f"{base}{name}:" if name else base

    def floor_hold(self, server: str, login: int) -> str:
        return f"{self.namespace}acct:{{{server}:{login}}}:floor_hold"

    def poller_state(self, server: str, name: str = "") -> str:
        return self._poller(server, name) + "state"

    def deals_seen(self, server: str, name: str = "") -> str:
        return self._poller(server, name) + "deals_seen"

    def heartbeat(self, server: str, name: str = "") -> str:
        return self._poller(server, name) + "heartbeat"

    def blind(self, server: str, name: str = "") -> str:
        """The poller's blind intervals (`propfirm.live.blind`): a capped list, newest first."""
        return self._poller(server, name) + "blind"

    def gap_reviews(self, server: str, name: str = "") -> str:
        """Each blind interval's check against MT5's history (`propfirm.poller.gap_review`): a capped list,
        newest first."""
        return self._poller(server, name) + "gaps"

    def evaluation_lag(self) -> str:
        """The evaluator's last batch: how long its oldest message waited (`propfirm.evaluation.function`)."""
        return f"{self.namespace}evaluator:lag"

    def command(self, command_id: str) -> str:
        return f"{self.namespace}cmd:{{{command_id}}}"

    def waiting_commands(self) -> str:
        """The commands parked until MT5 can carry them out (command id -> message body)."""
        return f"{self.namespace}cmd:waiting"
