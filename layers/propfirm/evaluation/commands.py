"""The commands each decision needs (pure): ids are deterministic, `{challenge_id}:{transition_no}:{kind}`,
so a redelivered message rebuilds the same ids and the poller's exactly-once ledger absorbs duplicates.

- failed: disable trading, close every position.
- restricted, daily_loss (a pause): close every position and disable trading now; enable trading at
  the next reset (a scheduled command: `not_before` = the reset instant, sent by the outbox relay).
- other restrictions: no command (a transition and an audit row only).
- phase_passed / funded: disable trading, move to the next phase's group, reset the balance to the
  account size (the MT5 comment carries the command's tag, so the evaluator recognises that deal), and
  enable trading again. Disabling first keeps the trader from trading on the old balance meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from propfirm.domain import decisions as d
from propfirm.domain.decisions import Decision
from propfirm.domain.programs import Program
from propfirm.queues.messages import BalanceOperationCommand, CloseAll, MoveGroup, SetTrading
from propfirm.queues.tags import balance_comment
from propfirm.store.outbox import OutboxCommand

RESET_COMMENT = "phase reset"


@dataclass(frozen=True)
class PlannedCommands:
    commands: list[OutboxCommand]
    reset_command_id: str | None = None  # the balance reset whose deal we wait for


def command_id(challenge_id: int, transition_no: int, kind: str) -> str:
    return f"{challenge_id}:{transition_no}:{kind}"


def plan_commands(
    *,
    challenge_id: int,
    transition_no: int,
    decision: Decision,
    program: Program,
    next_phase: int | None,
    balance: Decimal,
    next_reset: datetime,
    issued_at: datetime,
) -> PlannedCommands:
    server, login = decision.server, decision.login

    def out(
        kind: str, command, not_before: datetime | None = None, comment: str | None = None
    ) -> OutboxCommand:
        return OutboxCommand(
            command_id=command.command_id,
            challenge_id=challenge_id,
            server=server,
            login=login,
            kind=kind,
            command=command.model_dump(mode="json"),
            mt5_comment=comment,
            not_before=not_before,
        )

    def cid(kind: str) -> str:
        return command_id(challenge_id, transition_no, kind)

    common: dict[str, Any] = {"server": server, "login": login, "issued_at": issued_at}
    if decision.decision == d.FAILED:
        return PlannedCommands(
            [
                out("set_trading", SetTrading(command_id=cid("disable"), enabled=False, **common)),
                out("close_all", CloseAll(command_id=cid("close_all"), **common)),
            ]
        )
    if decision.decision == d.RESTRICTED:
        if decision.reason != d.DAILY_LOSS:
            return PlannedCommands([])
        return PlannedCommands(
            [
                out("close_all", CloseAll(command_id=cid("close_all"), **common)),
                out("set_trading", SetTrading(command_id=cid("disable"), enabled=False, **common)),
                out(
                    "set_trading",
                    SetTrading(command_id=cid("enable"), enabled=True, **common),
                    not_before=next_reset,
                ),
            ]
        )
    if decision.decision in (d.PHASE_PASSED, d.FUNDED) and next_phase is not None:
        commands = [
            out("set_trading", SetTrading(command_id=cid("disable"), enabled=False, **common)),
            out(
                "move_group",
                MoveGroup(command_id=cid("move_group"), group=program.phases[next_phase].group, **common),
            ),
        ]
        reset_id = None
        amount = program.account_size - balance
        if amount:
            reset = BalanceOperationCommand(
                command_id=cid("reset"),
                amount=amount,
                kind="balance",
                comment=RESET_COMMENT,
                check_margin=False,
                **common,
            )
            commands.append(out("balance_operation", reset, comment=balance_comment(reset)))
            reset_id = reset.command_id
        commands.append(out("set_trading", SetTrading(command_id=cid("enable"), enabled=True, **common)))
        return PlannedCommands(commands, reset_id)
    return PlannedCommands([])
