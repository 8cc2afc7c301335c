"""Commands from the command queue, carried out on MT5 exactly once.

For each command: a command id whose record (`cmd:{id}` in Redis) says `done` is not done again, its
stored result is reported again (`repeated: true`). A record that says `started` means an earlier attempt
was interrupted with its outcome unknown: a creation is retried through the gateway's `client_ref`
(which finds the account made earlier instead of opening a second one) and a balance operation first
looks for its own deal on MT5 (by its unique comment, amount and kind) before sending anything. Moving a
group, enabling or disabling trading and closing all positions are idempotent on MT5 by nature.
Results go back on the evaluation queue (`CommandResult`, deduplication id `result:{command_id}`).
A creation's passwords arrive sealed (`propfirm.sealing`) and are opened only for the call that creates
the account; no result carries a password (passwords MT5 generates itself are not reported at all).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from propfirm.live.commands import CommandLedger
from propfirm.mt5.errors import ConnectionLost, InvalidRequest, Mt5Error, Rejected, TooFrequent
from propfirm.mt5.models import (
    AccountId,
    AccountUpdate,
    BalanceKind,
    BalanceOperation,
    DealAction,
    NewAccount,
)
from propfirm.mt5.port import Mt5Gateway
from propfirm.poller.observability import logger
from propfirm.queues.messages import (
    BalanceOperationCommand,
    CloseAll,
    CommandResult,
    CreateAccount,
    MoveGroup,
    SetTrading,
    parse_command,
)
from propfirm.queues.sharding import shard_of
from propfirm.queues.sqs import Outgoing, SqsSender
from propfirm.queues.tags import balance_comment, command_tag
from propfirm.sealing import Cipher, open_sealed

AnyCommand = CreateAccount | MoveGroup | SetTrading | CloseAll | BalanceOperationCommand
RET_MARKET_CLOSED = 10018  # TRADE_RETCODE_MARKET_CLOSED


class BadCommand(Exception):
    """The message is not a valid command; it is left on the queue for its dead-letter queue."""


def result_dedup_id(command_id: str) -> str:
    """`result:{command_id}`, or a digest of the id when that would pass SQS's 128 characters."""
    dedup = f"result:{command_id}"
    return dedup if len(dedup) <= 128 else "result:" + hashlib.sha256(command_id.encode()).hexdigest()


def client_ref(command: CreateAccount) -> str:
    return command.client_ref or f"cmd-{command_tag(command.command_id)}"


class CommandExecutor:
    def __init__(
        self,
        gateway: Mt5Gateway,
        ledger: CommandLedger,
        sender: SqsSender,
        shard_count: int,
        groups_of: Callable[[], dict[int, str]],
        watched_groups: Sequence[str],
        cipher: Callable[[], Cipher] | None = None,
    ) -> None:
        self.gateway = gateway
        self.cipher = cipher  # opens sealed passwords (None: a sealed command fails, plainly said)
        self.ledger = ledger
        self.sender = sender
        self.shard_count = shard_count
        self.groups_of = groups_of
        self.watched_groups = list(watched_groups)

    def handle(self, body: str) -> CommandResult:
        """Carry out one command (or report it again). ConnectionLost and TooFrequent (the server busy or
        throttling: retcode 12, 10024) propagate with nothing recorded as done, so the message comes back
        and takes the checked path: a busy server fails no payout, no kill."""
        try:
            command: AnyCommand = parse_command(body)
        except ValidationError as exc:
            raise BadCommand(f"invalid command: {exc.errors()[:3]}") from exc
        server = self.gateway.server
        if command.server != server:
            result = self._result(command, ok=False, error=f"command for server {command.server!r} "
                                  f"reached the poller of server {server!r}")
            self._send(result)
            return result
        record = self.ledger.get(command.command_id)
        if record is not None and record.status == "done" and record.result is not None:
            result = CommandResult.model_validate({**record.result, "repeated": True})
            logger.info("command already done; result reported again", command_id=command.command_id)
            self._send(result)
            return result
        interrupted = record is not None
        started_at = self.gateway.server_time().utc
        self.ledger.mark_started(command.command_id)
        try:
            login, details = self._execute(command, interrupted, started_at)
            result = self._result(command, ok=True, login=login, details=details)
        except (ConnectionLost, TooFrequent):
            raise
        except Rejected as exc:
            if isinstance(command, CloseAll) and exc.retcode == RET_MARKET_CLOSED:
                # the account is disabled already; its positions close when their market opens: kept
                # (not failed, not left to the queue's few receives, which a weekend outlasts)
                self.ledger.park(command.command_id, body, str(exc))
                if record is None or record.status != "waiting":  # said once, not every cycle of a weekend
                    logger.warning("close refused, market closed: tried again each cycle",
                                   command_id=command.command_id, login=command.login, error=str(exc))
                return self._result(command, ok=False, login=command.login, error=str(exc), retcode=exc.retcode)
            result = self._result(command, ok=False, error=str(exc), retcode=exc.retcode)
        except Mt5Error as exc:
            result = self._result(command, ok=False, error=str(exc), retcode=exc.retcode)
        self.ledger.mark_done(command.command_id, result.model_dump(mode="json"))
        self._send(result)
        logger.info("command done", command_id=command.command_id, type=command.type, ok=result.ok,
                    login=result.login, error=result.error)
        return result

    def retry_waiting(self) -> int:
        """Try the parked commands again (once a cycle); the number settled now (carried out, or failed for
        another reason than a closed market). A lost connection or a busy server ends the round: the rest
        wait for the next cycle."""
        settled = 0
        for command_id, body in self.ledger.waiting().items():
            try:
                result = self.handle(body)
            except (ConnectionLost, TooFrequent):
                break
            if result.ok or result.retcode != RET_MARKET_CLOSED:
                settled += 1
                logger.info("parked command settled", command_id=command_id, ok=result.ok, error=result.error)
        return settled

    def _passwords(self, command: CreateAccount) -> tuple[str | None, str | None]:
        """The passwords to create the account with: opened just now from the sealed copy."""
        if command.sealed_passwords is None:
            return command.password_main, command.password_investor
        if self.cipher is None:
            raise InvalidRequest("the command's passwords are sealed and this poller has no key to open them")
        try:
            opened = open_sealed(self.cipher(), command.sealed_passwords)
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None
        return opened.main, opened.investor

    def _execute(self, command: AnyCommand, interrupted: bool, now: datetime) -> tuple[int | None,
                                                                                      dict[str, Any]]:
        server = self.gateway.server
        if isinstance(command, CreateAccount):
            main, investor = self._passwords(command)
            created = self.gateway.create_account(NewAccount(
                group=command.group, leverage=command.leverage, initial_balance=command.initial_balance,
                first_name=command.first_name, last_name=command.last_name, email=command.email,
                client_ref=client_ref(command), login=command.login, password_main=main,
                password_investor=investor, trading_enabled=command.trading_enabled))
            details: dict[str, Any] = {"group": created.group, "funding_deal": created.funding_deal,
                                       "existed": created.existed}
            if main is None or investor is None:
                # MT5 made them: they are not reported (a queue is no place for a password); support
                # resets them for the trader
                details["passwords_generated"] = True
            return created.login, details
        account = AccountId(server, command.login)
        if isinstance(command, MoveGroup):
            info = self.gateway.update_account(AccountUpdate(account=account, group=command.group))
            return command.login, {"group": info.group}
        if isinstance(command, SetTrading):
            update = AccountUpdate(account=account, trading_enabled=command.enabled)
            info = self.gateway.update_account(update)
            return command.login, {"trading_enabled": info.trading_enabled}
        if isinstance(command, CloseAll):
            closed = self.gateway.close_all_positions(account)
            return command.login, {"closed": [
                {"ticket": c.ticket, "symbol": c.symbol, "volume": str(c.volume), "deal": c.deal}
                for c in closed
            ]}
        operation = BalanceOperation(account=account, amount=command.amount,
                                     comment=balance_comment(command), kind=BalanceKind[command.kind.upper()],
                                     check_margin=command.check_margin)
        if interrupted:
            ticket = self._find_balance_deal(operation, now)
            if ticket is not None:
                logger.info("interrupted balance operation found on MT5; not sent again",
                            command_id=command.command_id, deal=ticket)
                return command.login, {"deal": ticket, "found_existing": True}
        return command.login, {"deal": self.gateway.balance_operation(operation)}

    def _find_balance_deal(self, operation: BalanceOperation, now: datetime) -> int | None:
        """The operation's deal if an earlier attempt made it (comment, amount and kind all match)."""
        group = self.groups_of().get(operation.account.login)
        groups = [group] if group else self.watched_groups
        since = now - timedelta(days=14)
        for deal in self.gateway.deals(groups, since, now + timedelta(days=1)):
            if (deal.login == operation.account.login and deal.comment == operation.comment
                    and deal.profit == operation.amount and deal.action == DealAction(int(operation.kind))):
                return deal.ticket
        return None

    def _result(self, command: AnyCommand, *, ok: bool, login: int | None = None, error: str | None = None,
                retcode: int | None = None, details: dict[str, Any] | None = None) -> CommandResult:
        return CommandResult(command_id=command.command_id, type=command.type, server=command.server,
                             login=login if login is not None else command.login, ok=ok,
                             time=datetime.now(UTC), error=error, retcode=retcode, details=details or {})

    def _send(self, result: CommandResult) -> None:
        group = (str(shard_of(result.server, result.login, self.shard_count)) if result.login is not None
                 else f"cmd-{command_tag(result.command_id)}")
        self.sender.send([Outgoing(body=result.model_dump_json(), group_id=group,
                                   dedup_id=result_dedup_id(result.command_id))])
