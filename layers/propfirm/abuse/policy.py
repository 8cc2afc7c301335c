"""What a finding does, by the programs of the accounts it names (`abuse:` in a program file).

- `off` on every named account's program: the finding is not recorded (a program that allows copying
  one's own trades, for example, asks for no review of it);
- `flag` (the default) on any of them: recorded for review, nothing else;
- `restrict`: recorded, and each active challenge whose program says so gets one `restricted` transition
  (reason `abuse`, the finding's id, detector and score in its evidence), audited, when the finding is
  first recorded. Never a failure: a risk officer confirms a finding before a challenge fails for it
  (through the audited override path).

An account with no challenge known here counts as `flag`: a finding is never dropped for lack of a program.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from propfirm.domain import decisions as d
from propfirm.domain.abuse.findings import Finding
from propfirm.domain.programs import AbuseAction, AbusePolicy
from propfirm.domain.state import ACTIVE
from propfirm.store.audit import AuditEntry
from propfirm.store.errors import ConcurrencyConflict
from propfirm.store.uow import UnitOfWork

ABUSE = "abuse"  # the reason of a restriction a finding caused


@dataclass(frozen=True)
class Account:
    challenge_id: int
    login: int
    status: str
    policy: AbusePolicy
    trader_id: int  # who holds the challenge (propfirm.abuse.owners groups a finding's accounts by it)


def accounts_of(uow: UnitOfWork, server: str, logins: Sequence[int]) -> dict[int, Account]:
    """The challenge of each login (its program's abuse policy), for the logins that have one."""
    rows = uow.fetchall(
        "SELECT c.id, c.login, c.status, p.definition->'abuse', c.trader_id FROM challenges c"
        " JOIN programs p ON p.id = c.program_id AND p.version = c.program_version"
        " WHERE c.server = %s AND c.login = ANY(%s)",
        (server, list(logins)),
    )
    return {
        int(r[1]): Account(int(r[0]), int(r[1]), r[2], AbusePolicy.model_validate(r[3] or {}), int(r[4]))
        for r in rows
    }


def action_for(account: Account | None, detector: str) -> AbuseAction:
    return "flag" if account is None else account.policy.action(detector)


def kept(findings: Sequence[Finding], accounts: dict[int, Account]) -> list[Finding]:
    """The findings to record: those some named account's program does not switch off."""
    return [f for f in findings if any(action_for(accounts.get(login), f.detector) != "off" for login in f.logins)]


def restrict(
    uow: UnitOfWork, finding: Finding, finding_id: int, accounts: dict[int, Account], now: datetime
) -> list[int]:
    """One `restricted` transition for each active challenge the finding names whose program says
    `restrict`; the challenge ids restricted. The state is not changed (the rules keep judging as before)."""
    restricted = []
    for login in finding.logins:
        account = accounts.get(login)
        if account is None or account.status != ACTIVE or action_for(account, finding.detector) != "restrict":
            continue
        locked = uow.fetchone("SELECT id FROM challenges WHERE id = %s FOR UPDATE", (account.challenge_id,))
        if locked is None:  # pragma: no cover - deleted meanwhile
            continue
        record = uow.challenges.get(account.challenge_id)
        if record.status != ACTIVE or record.state is None:
            continue
        try:
            version = uow.challenges.save(
                record,
                state=record.state,
                status=record.status,
                phase=record.phase,
                transitions_added=1,
                awaiting_reset=record.awaiting_reset,
                pending_kill=record.pending_kill,
            )
        except ConcurrencyConflict:  # pragma: no cover - the row is locked above
            continue
        evidence: dict[str, Any] = {
            "abuse": {
                "finding_id": finding_id,
                "detector": finding.detector,
                "score": finding.score,
                "logins": list(finding.logins),
            },
            "phase": record.phase,
            "program": {"id": record.program_id, "version": record.program_version},
        }
        equity = Decimal(str(record.state.get("equity", "0")))
        uow.challenges.add_transition(
            challenge_id=record.id,
            transition_no=record.transitions + 1,
            from_phase=record.phase,
            to_phase=record.phase,
            decision=d.RESTRICTED,
            reason=ABUSE,
            equity=equity,
            limit=None,
            decided_at=now,
            state_version=version,
            evidence=evidence,
        )
        uow.audit.append(
            [
                AuditEntry(
                    kind="challenge.abuse_restricted",
                    payload={
                        "actor": "abuse-scan",
                        "transition_no": record.transitions + 1,
                        "finding_id": finding_id,
                        "detector": finding.detector,
                        "score": finding.score,
                    },
                    challenge_id=record.id,
                    server=finding.server,
                    login=login,
                    created_at=now,
                )
            ]
        )
        restricted.append(record.id)
    return restricted
