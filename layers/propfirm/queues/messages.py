"""Messages on the queues (a contract), pydantic models, every one versioned with `"v": 1`.

Evaluation queue (FIFO, MessageGroupId = the account's shard, see `sharding`), four kinds:

- `evaluation` — a claim check: the logins whose snapshots changed this cycle (read them from
  `acct:{server:login}:snap`, written in the same pipeline before the message was sent) and the new deals
  of those accounts *inline* (deals are few and small, the evaluator stores them by (server, ticket), and
  inline deals need no second store that could lose them). Many accounts per message; a cycle's shard
  may span several messages (`part`). Deduplication id: `"{server}:{cycle}:{shard}:{part}"`.
- `kill` — the poller's fast path acted: equity was at or beyond a valid floor, trading was disabled and
  positions closed; the evaluator records the breach. Deduplication id `"{server}:kill:{login}:{cycle}"`.
- `command_result` — the outcome of one command. Deduplication id `"result:{command_id}"`.
- `gap_review` — a blind interval checked against MT5's record of it (`propfirm.poller.gap_review`): the
  accounts that breached, may have, or could not be checked, with their evidence; the evaluator records them
  as gap findings for a risk officer to confirm or dismiss. A review with many accounts goes in parts.
  MessageGroupId `"{server}:gaps"`, deduplication id `"{server}:gap:{poller}:{from in ms}:{part}"`.

Command queue (FIFO, MessageGroupId = `"{server}:{login}"`, or the command id for a creation), one
`Command` per message, discriminated by `type`: create_account | move_group | set_trading | close_all |
balance_operation. Money is a JSON string everywhere (a JSON number is refused), times are ISO 8601 UTC.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter

from propfirm.mt5.models import Deal as Mt5Deal


def _money(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError("money must be a string (or Decimal), never a float")
    return value


Money = Annotated[Decimal, BeforeValidator(_money)]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    v: Literal[1] = 1


# -- evaluation queue -------------------------------------------------------------------------------

class DealRecord(BaseModel):
    """One deal as MT5 reported it (times UTC, volume in lots, money as strings)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    ticket: int
    login: int
    time: datetime
    action: str  # buy, sell, balance, credit, charge, correction, bonus, commission, ...
    entry: str  # in, out, inout, out_by, state
    symbol: str
    volume: Money
    price: Money
    profit: Money
    commission: Money
    swap: Money
    position: int
    order: int = 0
    comment: str = ""
    value: Money | None = None  # account currency: volume × contract size × price, converted (MT5's rate)

    @classmethod
    def from_mt5(cls, deal: Mt5Deal) -> DealRecord:
        # The gateway's Deal is already typed and checked: construct without validating again.
        return cls.model_construct(
            ticket=deal.ticket,
            login=deal.login,
            time=deal.time,
            action=deal.action.name.lower(),
            entry=deal.entry.name.lower(),
            symbol=deal.symbol,
            volume=deal.volume,
            price=deal.price,
            profit=deal.profit,
            commission=deal.commission,
            swap=deal.storage,
            position=deal.position_id,
            order=deal.order,
            comment=deal.comment,
            value=deal.value,
        )


class EvaluationMessage(_Message):
    kind: Literal["evaluation"] = "evaluation"
    server: str
    cycle: int
    shard: int
    part: int = 0
    time: datetime
    logins: list[int]
    deals: list[DealRecord] = Field(default_factory=list)
    # the end of the cycle's deal window: every deal dated up to it has been sent, in this message or an
    # earlier one. Before `time` while the poller catches up a backlog of deals a window per cycle: the
    # snapshots it names then hold deals that later messages bring
    deals_until: datetime | None = None

    @property
    def deals_complete(self) -> datetime:
        """Up to when the named accounts' deals are all known: the cycle's time, or the deal window's end
        when that lags it."""
        until = self.deals_until
        return self.time if until is None or until >= self.time else until


class FloorInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    level: Money
    expires_at: datetime
    reason: str
    breach_at: Literal["touch", "below"]
    action: Literal["fail", "pause"]
    version: int


class ClosedPositionInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    ticket: int
    symbol: str
    volume: Money
    deal: int | None = None
    price: Money | None = None


class CloseResult(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    trading_disabled: bool
    closed: list[ClosedPositionInfo] = Field(default_factory=list)
    error: str | None = None  # set when disabling trading or a close failed (the rest was still tried)


class KillReport(_Message):
    kind: Literal["kill"] = "kill"
    server: str
    login: int
    shard: int
    cycle: int
    time: datetime  # when the poller saw the breach
    equity: Money
    floor: FloorInfo
    reason: str  # the floor's reason (daily_loss, max_loss, ...)
    close: CloseResult


class CommandResult(_Message):
    kind: Literal["command_result"] = "command_result"
    command_id: str
    type: str
    server: str
    login: int | None = None
    ok: bool
    time: datetime
    error: str | None = None
    retcode: int | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    repeated: bool = False  # True: the command was done before; this is its stored result again


class GapHeldPosition(BaseModel):
    """A position held when a blind interval's check found the account at its lowest."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    ticket: int
    symbol: str
    side: Literal["buy", "sell"]
    volume: Money
    price_open: Money


class GapAccount(BaseModel):
    """One account a blind interval's check did not find clear (`propfirm.poller.gap_check.GapVerdict`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    login: int
    outcome: Literal["breached", "possible", "unchecked"]
    floor: Money | None = None
    lowest: Money | None = None  # the lowest bound of the equity found in the gap
    at: datetime | None = None  # the minute it was found in
    held: list[GapHeldPosition] = Field(default_factory=list)
    checked_until: datetime | None = None
    reason: str = ""


class GapReviewMessage(_Message):
    kind: Literal["gap_review"] = "gap_review"
    server: str
    poller: str
    blind_from: datetime  # the blind interval (the poller's wall clock): the last good cycle's end
    blind_to: datetime  # the end of the good cycle after it
    cause: str  # the first error, "slow cycle" or "poller restarted"
    failed_cycles: int = Field(ge=0)
    read_before: datetime | None  # the MT5 reads the check starts and ends at (server clock, UTC)
    read_after: datetime | None
    checked: int = Field(ge=0)
    clear: int = Field(ge=0)
    # accounts the tick path held and judged at every poll through a slow cycle: not checked again
    watched: int = Field(default=0, ge=0)
    killed: int = Field(default=0, ge=0)  # killed by the poller for the floor judged: seen, acted on
    reason: str = ""  # why nothing could be checked, if so
    part: int = Field(default=0, ge=0)
    parts: int = Field(default=1, ge=1)
    accounts: list[GapAccount] = Field(default_factory=list)  # this part's share of the accounts not clear


AnyEvaluationQueueMessage = EvaluationMessage | KillReport | CommandResult | GapReviewMessage
EvaluationQueueMessage = Annotated[AnyEvaluationQueueMessage, Field(discriminator="kind")]
_evaluation_adapter: TypeAdapter[AnyEvaluationQueueMessage] = TypeAdapter(EvaluationQueueMessage)


def parse_evaluation_queue_message(body: str | bytes) -> AnyEvaluationQueueMessage:
    return _evaluation_adapter.validate_json(body)


# -- command queue ----------------------------------------------------------------------------------

class _Command(_Message):
    command_id: str = Field(min_length=1, max_length=128)
    server: str
    issued_at: datetime | None = None


class SealedPasswords(_Message):
    """The account's main and investor passwords, encrypted (`propfirm.sealing`): a JSON object
    `{"main", "investor"}` sealed for `challenge_id` with the key `key_ref` names; base64."""

    key_ref: str = Field(min_length=1, max_length=256)
    challenge_id: int
    ciphertext: str = Field(min_length=1, max_length=8192)


class CreateAccount(_Command):
    """`sealed_passwords` carries the passwords the trader will be shown; with neither it nor the plain
    fields (still read, never written by this system) MT5 generates them and they are not reported."""

    type: Literal["create_account"] = "create_account"
    login: int | None = None  # None: MT5 allocates it
    group: str
    leverage: int = Field(ge=1, le=1000)
    initial_balance: Money
    first_name: str
    last_name: str
    email: str
    client_ref: str | None = Field(None, max_length=31)  # default: derived from command_id
    password_main: str | None = None
    password_investor: str | None = None
    sealed_passwords: SealedPasswords | None = None
    trading_enabled: bool = True


class MoveGroup(_Command):
    type: Literal["move_group"] = "move_group"
    login: int
    group: str


class SetTrading(_Command):
    type: Literal["set_trading"] = "set_trading"
    login: int
    enabled: bool


class CloseAll(_Command):
    type: Literal["close_all"] = "close_all"
    login: int


class BalanceOperationCommand(_Command):
    type: Literal["balance_operation"] = "balance_operation"
    login: int
    amount: Money  # positive deposits, negative withdraws
    kind: Literal["balance", "credit", "charge", "correction", "bonus"] = "balance"
    comment: str = Field("", max_length=31)
    check_margin: bool = True


Command = Annotated[
    CreateAccount | MoveGroup | SetTrading | CloseAll | BalanceOperationCommand, Field(discriminator="type")
]
_command_adapter: TypeAdapter[CreateAccount | MoveGroup | SetTrading | CloseAll | BalanceOperationCommand] = (
    TypeAdapter(Command)
)


def parse_command(body: str | bytes) -> (CreateAccount | MoveGroup | SetTrading | CloseAll
                                         | BalanceOperationCommand):
    return _command_adapter.validate_json(body)
