"""Challenge programs: the pydantic model of a program file and its loader.

A program file is YAML or JSON holding one program, or a list of them under `programs:`; a folder
holds many such files. A bad file is refused with a `ProgramError` naming the file (and line when
it can be found), the field and the reason. The format is the design's "Programs" contract.

The poller uses `load_programs` and `Program.groups` to know which MT5 groups to poll.

Size: the program file's format is one pydantic model with its field validators and cross-field rules; split,
the model's validation would be split with it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import time
from datetime import time as time_of_day_type
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from propfirm.domain.money import ZERO, pct_of
from propfirm.domain.tradingday import zone as _zone

EXAMPLE_PROGRAMS_DIR = Path(__file__).resolve().parent.parent / "examples" / "programs"
PROGRAM_SUFFIXES = (".yaml", ".yml", ".json")

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class ProgramError(ValueError):
    """A program file that cannot be used: which file, which field (and line), and why."""

    def __init__(self, file: str | Path, field: str, reason: str, line: int | None = None) -> None:
        self.file = str(file)
        self.field = field
        self.reason = reason
        self.line = line
        where = f"{self.file}:{line}" if line else self.file
        super().__init__(f"{where}: {field}: {reason}" if field else f"{where}: {reason}")


def _decimal(value: Any) -> Any:
    """Accept decimal strings and integers; YAML floats go through their shortest repr (exact literal)."""
    if isinstance(value, bool):
        raise ValueError("expected a number, not a boolean")
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, int | str):
        try:
            d = Decimal(str(value).strip())
        except Exception:
            raise ValueError(f"not a decimal number: {value!r}") from None
        if not d.is_finite():
            raise ValueError(f"not a finite number: {value!r}")
        return d
    return value


Pct = Decimal  # documentation alias: a percentage, 0 < pct <= 100


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class DayReset(_Model):
    time: str = "00:00"
    zone: str = "UTC"

    @field_validator("time")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not isinstance(value, str) or not _HHMM.match(value):
            raise ValueError('expected HH:MM (24-hour), e.g. "00:00" or "17:00"')
        return value

    @field_validator("zone")
    @classmethod
    def _iana(cls, value: str) -> str:
        try:
            _zone(value)
        except Exception:
            raise ValueError(f"unknown IANA time zone {value!r}, e.g. Europe/Prague") from None
        return value

    @property
    def time_of_day(self) -> time_of_day_type:
        hours, minutes = self.time.split(":")
        return time(int(hours), int(minutes))


class SplitTier(_Model):
    after_payouts: int = Field(ge=0)
    pct: Decimal = Field(gt=0, le=100)

    _num = field_validator("pct", mode="before")(_decimal)


class ExposureCap(_Model):
    """At most `max_lots` open at once, or positions worth at most `max_value_pct` of the account size (their
    value in the account currency at the current price), in the symbols matching any of `symbols` (shell
    patterns, `XAU*`): one of the two limits."""

    name: str = Field(min_length=1, max_length=64)
    symbols: tuple[str, ...] = Field(min_length=1)
    max_lots: Decimal | None = Field(None, gt=0)
    max_value_pct: Decimal | None = Field(None, gt=0, le=10000)

    _num = field_validator("max_lots", "max_value_pct", mode="before")(_decimal)

    @model_validator(mode="after")
    def _one_limit(self) -> ExposureCap:
        if (self.max_lots is None) == (self.max_value_pct is None):
            raise ValueError(f"cap {self.name!r}: give either max_lots or max_value_pct (one of the two)")
        return self


DailyBasis = Literal["balance", "equity", "balance_or_equity", "initial", "intraday_high"]


class Phase(_Model):
    name: str = ""
    group: str = Field(min_length=1)
    funded: bool = False
    # passing: a target as a share of the size or as an amount of money (one of the two)
    profit_target_pct: Decimal | None = Field(None, gt=0, le=1000)
    profit_target_amount: Decimal | None = Field(None, gt=0)
    min_trading_days: int = Field(0, ge=0)
    # a trading day counts only when it also opened this many lots, or its result moved this share of the size
    qualifying_day_min_lots: Decimal | None = Field(None, gt=0)
    qualifying_day_min_result_pct: Decimal | None = Field(None, gt=0, le=100)
    # ... or opened trades worth this share of the size (the deals' value in the account currency)
    qualifying_day_min_value_pct: Decimal | None = Field(None, gt=0, le=10000)
    # ... or closed a qualifying trade: its value at least this share of the size (HyroTrader's 5%), and its
    # result at least this share of its value either way (HyroTrader's 1%)
    qualifying_trade_min_value_pct: Decimal | None = Field(None, gt=0, le=10000)
    qualifying_trade_min_result_pct: Decimal | None = Field(None, gt=0, le=100)
    # N closed days with a profit of at least the threshold (a share of the size or an amount; default: any profit)
    min_profitable_days: int = Field(0, ge=0)
    profitable_day_pct: Decimal | None = Field(None, gt=0, le=100)
    profitable_day_amount: Decimal | None = Field(None, gt=0)
    consistency_pct: Decimal | None = Field(None, gt=0, le=100)
    # what the best day is a share of: the phase's net profit, or the sum of its winning days' profit
    consistency_basis: Literal["net_profit", "winning_days"] = "net_profit"
    # a day's profit counts toward the target up to this share of the target's amount (the excess does not)
    daily_profit_cap_pct: Decimal | None = Field(None, gt=0, le=100)
    # daily loss
    daily_loss_pct: Decimal | None = Field(None, gt=0, le=100)
    daily_loss_amount: Decimal | None = Field(None, gt=0)
    daily_loss_basis: DailyBasis = "balance"
    daily_loss_reference: Literal["initial", "day_start"] = "initial"
    daily_loss_action: Literal["fail", "pause"] = "fail"
    daily_loss_open_pnl: bool = True
    daily_loss_evaluation: Literal["intraday", "end_of_day"] = "intraday"
    # maximum loss
    max_loss_pct: Decimal | None = Field(None, gt=0, le=100)
    max_loss_amount: Decimal | None = Field(None, gt=0)
    max_loss_mode: Literal["static", "trailing_intraday", "trailing_balance", "trailing_eod"] = "static"
    trailing_lock: bool = False
    trailing_lock_offset: Decimal = Decimal(0)
    breach_at: Literal["touch", "below"] = "touch"
    # time
    max_days: int | None = Field(None, gt=0)
    inactivity_days: int | None = Field(None, gt=0)
    # conduct
    max_lots: Decimal | None = Field(None, gt=0)
    max_positions: int | None = Field(None, gt=0)
    exposure_caps: tuple[ExposureCap, ...] = ()
    # one position's result (closed and floating, commission and swap included) may not lose this much
    max_trade_loss_pct: Decimal | None = Field(None, gt=0, le=100)
    max_trade_loss_amount: Decimal | None = Field(None, gt=0)
    max_trade_loss_action: Literal["fail", "restrict"] = "fail"
    weekend_holding: bool = True
    news_blackout_minutes: Decimal | None = Field(None, gt=0, le=1440)
    # funded stage: payouts (used by the payout arithmetic, not by the rule engine)
    profit_split_pct: Decimal | None = Field(None, gt=0, le=100)
    split_tiers: tuple[SplitTier, ...] = ()
    payout_min_days: int | None = Field(None, ge=0)
    payout_min_amount: Decimal | None = Field(None, ge=0)
    # a payout above this amount needs two different approvers (four eyes; default: the setting's)
    payout_second_approval_above: Decimal | None = Field(None, ge=0)
    refund_fee_on_first_payout: bool = False
    # what leaves the MT5 account when a payout is paid: the whole profit (the balance returns to where the
    # period started, the common practice) or only the trader's share (the firm's share stays as a buffer)
    payout_withdraws: Literal["profit", "trader_share"] = "profit"
    # after a payout's withdrawal (a balance operation whose comment starts with "payout "), restart the
    # trailing maximum-loss floor from the balance left (PaidToTrade), instead of keeping it (E8)
    payout_rebase: bool = False

    _num = field_validator(
        "profit_target_pct",
        "profit_target_amount",
        "qualifying_day_min_lots",
        "qualifying_day_min_result_pct",
        "qualifying_day_min_value_pct",
        "qualifying_trade_min_value_pct",
        "qualifying_trade_min_result_pct",
        "profitable_day_pct",
        "profitable_day_amount",
        "consistency_pct",
        "daily_profit_cap_pct",
        "daily_loss_pct",
        "daily_loss_amount",
        "max_loss_pct",
        "max_loss_amount",
        "max_trade_loss_pct",
        "max_trade_loss_amount",
        "trailing_lock_offset",
        "max_lots",
        "news_blackout_minutes",
        "profit_split_pct",
        "payout_min_amount",
        "payout_second_approval_above",
        mode="before",
    )(_decimal)

    @field_validator("trailing_lock_offset")
    @classmethod
    def _offset(cls, value: Decimal) -> Decimal:
        if value < 0:
            raise ValueError("must be zero or more (the lock is at the account size plus this amount)")
        return value

    @field_validator("group")
    @classmethod
    def _group(cls, value: str) -> str:
        if value != value.strip():
            raise ValueError("must not start or end with spaces")
        return value

    # -- the limits in money, whichever way the program gives them (one place for every reader)

    @property
    def has_target(self) -> bool:
        """Whether the phase passes by a profit target (a funded stage never does)."""
        return not self.funded and (self.profit_target_pct is not None or self.profit_target_amount is not None)

    @property
    def has_daily_loss(self) -> bool:
        return self.daily_loss_pct is not None or self.daily_loss_amount is not None

    @property
    def has_max_loss(self) -> bool:
        return self.max_loss_pct is not None or self.max_loss_amount is not None

    @property
    def has_trade_loss(self) -> bool:
        return self.max_trade_loss_pct is not None or self.max_trade_loss_amount is not None

    def target_profit(self, size: Decimal) -> Decimal | None:
        """The profit the target asks for (before balance operations), or None without a target."""
        if not self.has_target:
            return None
        return _amount(self.profit_target_amount, self.profit_target_pct, size)

    def fixed_daily_limit(self, size: Decimal) -> Decimal | None:
        """The day's allowed loss when it is the same every day (an amount, or a share of the size);
        None without a daily rule or when it is a share of the day's basis (`daily_loss_reference:
        day_start`)."""
        if self.daily_loss_amount is not None:
            return self.daily_loss_amount
        if self.daily_loss_pct is None or self.daily_loss_reference != "initial":
            return None
        return pct_of(size, self.daily_loss_pct)

    def max_loss_limit(self, size: Decimal) -> Decimal | None:
        return _amount(self.max_loss_amount, self.max_loss_pct, size) if self.has_max_loss else None

    def trade_loss_limit(self, size: Decimal) -> Decimal | None:
        return _amount(self.max_trade_loss_amount, self.max_trade_loss_pct, size) if self.has_trade_loss else None

    @property
    def has_trade_qualifier(self) -> bool:
        """Whether a trading day counts only with a qualifying trade closed in it."""
        return self.qualifying_trade_min_value_pct is not None or self.qualifying_trade_min_result_pct is not None

    def qualifying_trade_value(self, size: Decimal) -> Decimal:
        """The least value a qualifying trade opens (0: any value above zero)."""
        pct = self.qualifying_trade_min_value_pct
        return ZERO if pct is None else pct_of(size, pct)

    def profitable_day_threshold(self, size: Decimal) -> Decimal:
        """The least profit that makes a day profitable (0: any profit above zero)."""
        return _amount(self.profitable_day_amount, self.profitable_day_pct, size) or ZERO

    def conflict(self, size: Decimal) -> tuple[str, str] | None:
        """The first field that contradicts another (field, reason), or None: what a schema cannot say."""
        for pct, amount in (
            ("profit_target_pct", "profit_target_amount"),
            ("daily_loss_pct", "daily_loss_amount"),
            ("max_loss_pct", "max_loss_amount"),
            ("max_trade_loss_pct", "max_trade_loss_amount"),
            ("profitable_day_pct", "profitable_day_amount"),
        ):
            if getattr(self, pct) is not None and getattr(self, amount) is not None:
                return amount, f"give either {pct} or {amount}, not both"
        for name, given in (
            ("daily_loss_amount", self.daily_loss_amount),
            ("max_loss_amount", self.max_loss_amount),
            ("max_trade_loss_amount", self.max_trade_loss_amount),
        ):
            if given is not None and given >= size:
                return name, f"must be less than the account size ({size}): the floor would be at or below zero"
        if self.daily_loss_amount is not None and self.daily_loss_reference == "day_start":
            return "daily_loss_reference", "day_start makes the limit a share of the day's basis; an amount is fixed"
        if self.daily_loss_basis == "intraday_high" and self.has_daily_loss:
            if self.daily_loss_reference == "day_start" and self.daily_loss_amount is None:
                return "daily_loss_reference", "intraday_high trails the day's high by a fixed limit: use initial"
            if self.daily_loss_evaluation == "end_of_day":
                return "daily_loss_evaluation", "intraday_high moves during the day: it needs intraday"
            if not self.daily_loss_open_pnl:
                return "daily_loss_open_pnl", "intraday_high trails equity: it needs the open result counted"
        if self.consistency_basis != "net_profit" and self.consistency_pct is None:
            return "consistency_basis", "acts only with consistency_pct"
        if self.daily_profit_cap_pct is not None and not self.has_target:
            return "daily_profit_cap_pct", "caps a day's share of the profit target: the phase needs a target"
        if self.min_profitable_days == 0 and (
            self.profitable_day_pct is not None or self.profitable_day_amount is not None
        ):
            return "min_profitable_days", "a profitable day's threshold is given: say how many such days are needed"
        if not self.has_trade_loss and self.max_trade_loss_action != "fail":
            return "max_trade_loss_action", "acts only with max_trade_loss_pct or max_trade_loss_amount"
        names = [cap.name for cap in self.exposure_caps]
        for index, name in enumerate(names):
            if name in names[:index]:
                return "exposure_caps", f"cap name {name!r} is used twice"
        return None


def _amount(amount: Decimal | None, pct: Decimal | None, size: Decimal) -> Decimal | None:
    if amount is not None:
        return amount
    return None if pct is None else pct_of(size, pct)


AbuseAction = Literal["off", "flag", "restrict"]


class AbusePolicy(_Model):
    """What each abuse detector's finding does on this program's accounts: nothing (`off`), a finding for
    review (`flag`, the default), or a finding and a `restricted` decision (`restrict`). Never a failure:
    a person confirms a finding before a challenge fails for it."""

    hedging: AbuseAction = "flag"
    copy_trading: AbuseAction = "flag"
    latency_arbitrage: AbuseAction = "flag"
    martingale: AbuseAction = "flag"
    grid: AbuseAction = "flag"
    news_straddle: AbuseAction = "flag"

    def action(self, detector: str) -> AbuseAction:
        return getattr(self, detector, "flag")


class Program(_Model):
    id: str
    version: int | None = Field(None, ge=1)  # for `programs load`: a new version of the same id
    name: str | None = None
    description: str | None = None
    currency: str = "USD"
    account_size: Decimal = Field(gt=0)
    leverage: int | None = Field(None, gt=0)
    fee: Decimal | None = Field(None, ge=0)
    day_reset: DayReset = DayReset()
    trading_day: Literal["opened", "opened_and_closed", "any_deal"] = "opened"
    abuse: AbusePolicy = AbusePolicy()
    # the trader's early warning near a floor: when this share of the binding loss limit or less is left,
    # in percent (0: never); unset: the deployment's EVALUATOR_FLOOR_WARNING_SHARE
    floor_warning_pct: Decimal | None = Field(None, ge=0, le=100)
    phases: tuple[Phase, ...] = Field(min_length=1)

    _num = field_validator("account_size", "fee", "floor_warning_pct", mode="before")(_decimal)

    def warning_share(self, default: Decimal) -> Decimal:
        """The share of a loss limit left at which the trader is warned (`floor_warning_pct`, else `default`)."""
        return default if self.floor_warning_pct is None else self.floor_warning_pct / 100

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(
                "1-64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if not _CURRENCY.match(value):
            raise ValueError("expected a three-letter ISO 4217 code in capitals, e.g. USD")
        return value

    @model_validator(mode="after")
    def _phases(self) -> Program:
        named = []
        for index, phase in enumerate(self.phases):
            if phase.funded and index != len(self.phases) - 1:
                raise _PhaseFieldError(index, "funded", "only the last phase can be the funded stage")
            if not phase.name:
                default = "funded" if phase.funded else f"phase{index + 1}"
                object.__setattr__(phase, "name", default)
            named.append(phase.name)
            conflict = phase.conflict(self.account_size)
            if conflict is not None:
                raise _PhaseFieldError(index, *conflict)
        for index, name in enumerate(named):
            if name in named[:index]:
                raise _PhaseFieldError(index, "name", f"phase name {name!r} is used twice")
        return self

    @property
    def groups(self) -> tuple[str, ...]:
        """The MT5 groups this program's accounts live in, in phase order."""
        return tuple(phase.group for phase in self.phases)

    def phase_index(self, name: str) -> int:
        for index, phase in enumerate(self.phases):
            if phase.name == name:
                return index
        raise KeyError(name)


# fields added to the format after its first release: a stored definition leaves them out while they hold
# their defaults (propfirm.store.programs), so growing the format changes no program's content hash
LATER_PROGRAM_FIELDS = frozenset({"abuse"})
# detectors added after the abuse policy's first release: left out of a stored policy at their default
LATER_ABUSE_FIELDS = frozenset({"grid", "news_straddle"})
LATER_PHASE_FIELDS = frozenset(
    {
        "consistency_basis",
        "min_profitable_days",
        "exposure_caps",
        "max_trade_loss_action",
    }
)


class _PhaseFieldError(ValueError):
    """Raised inside the model validator so the error can name phases[i].field."""

    def __init__(self, index: int, field: str, reason: str) -> None:
        self.loc: tuple[Any, ...] = ("phases", index, field)
        self.reason = reason
        super().__init__(reason)


# ---------------------------------------------------------------------------------------------
# loading


def parse_program(
    data: Any, source: str = "<program>", _prefix: tuple[str | int, ...] = (), _lines: Any = None
) -> Program:
    """Validate one program given as a mapping (from a file, a database row or a request)."""
    if not isinstance(data, dict):
        raise ProgramError(source, _path(_prefix), "a program must be a mapping of fields")
    try:
        return Program.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        reason = err["msg"]
        ctx_error = (err.get("ctx") or {}).get("error")
        if isinstance(ctx_error, _PhaseFieldError):
            loc, reason = ctx_error.loc, ctx_error.reason
        elif reason.startswith("Value error, "):
            reason = reason.removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            reason = "unknown field (check its spelling against the program format)"
        elif err["type"] == "missing":
            reason = "required field is missing"
        full = _prefix + loc
        if err["type"] == "missing":
            line = _line_of(_lines, _prefix + loc[:-1])
        else:
            line = _line_of(_lines, full)
        raise ProgramError(source, _path(full), reason, line) from None


def load_program_file(path: str | Path) -> list[Program]:
    """The programs in one YAML or JSON file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProgramError(path, "", f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ProgramError(path, "", "not UTF-8 text") from None
    import yaml  # here: the evaluator and the API read programs from PostgreSQL, never from files

    lines = None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            data = yaml.safe_load(text)
            try:
                lines = yaml.compose(text, Loader=yaml.SafeLoader)
            except yaml.YAMLError:  # pragma: no cover - safe_load already parsed it
                lines = None
    except json.JSONDecodeError as exc:
        raise ProgramError(path, "", f"not valid JSON: {exc.msg}", exc.lineno) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProgramError(path, "", f"not valid YAML: {problem}", mark.line + 1 if mark else None) from None
    if data is None:
        raise ProgramError(path, "", "the file is empty")
    if isinstance(data, dict) and "programs" in data:
        extra = sorted(set(data) - {"programs"})
        if extra:
            raise ProgramError(
                path, extra[0], "unknown field beside `programs:`", _line_of(lines, (extra[0],))
            )
        items = data["programs"]
        if not isinstance(items, list) or not items:
            raise ProgramError(
                path, "programs", "expected a non-empty list of programs", _line_of(lines, ("programs",))
            )
        programs = [parse_program(item, str(path), ("programs", i), lines) for i, item in enumerate(items)]
    else:
        programs = [parse_program(data, str(path), (), lines)]
    _check_unique(programs, path)
    return programs


def program_files(path: str | Path) -> list[Path]:
    """The program files at `path`: the file itself, or the folder's files in name order."""
    path = Path(path)
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in PROGRAM_SUFFIXES)
    if not path.exists():
        raise ProgramError(path, "", "no such file or folder")
    return [path]


def load_programs(path: str | Path) -> dict[str, Program]:
    """Every program under `path` (a file or a folder of files), by id; ids must be unique."""
    files = program_files(path)
    if not files:
        raise ProgramError(path, "", "no program files (*.yaml, *.yml, *.json) in this folder")
    programs: dict[str, Program] = {}
    origin: dict[str, Path] = {}
    for file in files:
        for program in load_program_file(file):
            if program.id in programs:
                raise ProgramError(
                    file, "id", f"program id {program.id!r} is already defined in {origin[program.id]}"
                )
            programs[program.id] = program
            origin[program.id] = file
    return programs


def load_example_programs() -> dict[str, Program]:
    return load_programs(EXAMPLE_PROGRAMS_DIR)


def all_groups(programs: Iterable[Program] | Mapping[str, Program]) -> list[str]:
    """Every MT5 group any of the programs names, once each, in first-seen order."""
    if isinstance(programs, Mapping):
        programs = programs.values()
    seen: dict[str, None] = {}
    for program in programs:
        for group in program.groups:
            seen.setdefault(group, None)
    return list(seen)


def summary_line(program: Program) -> str:
    """One line describing a program, for `propfirm programs validate`."""
    phases = []
    for phase in program.phases:
        bits = [phase.name]
        if phase.has_target:
            bits.append(f"target {_limit_text(phase.profit_target_pct, phase.profit_target_amount)}")
        if phase.has_daily_loss:
            bits.append(
                f"daily {_limit_text(phase.daily_loss_pct, phase.daily_loss_amount)} ({phase.daily_loss_action})"
            )
        if phase.has_max_loss:
            bits.append(
                f"max {_limit_text(phase.max_loss_pct, phase.max_loss_amount)} {phase.max_loss_mode}"
                + (" locked" if phase.trailing_lock else "")
            )
        phases.append(" ".join(bits))
    return (
        f"{program.id}: {program.account_size} {program.currency}, reset {program.day_reset.time} "
        f"{program.day_reset.zone}, {len(program.phases)} phases: " + " -> ".join(phases)
    )


def _limit_text(pct: Decimal | None, amount: Decimal | None) -> str:
    return f"{pct}%" if pct is not None else f"{amount}"


def _check_unique(programs: list[Program], path: Path) -> None:
    seen: set[str] = set()
    for program in programs:
        if program.id in seen:
            raise ProgramError(path, "id", f"program id {program.id!r} appears twice in this file")
        seen.add(program.id)


def _path(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _line_of(node: Any, loc: tuple[str | int, ...]) -> int | None:
    """The 1-based line of the YAML node at `loc`, or of the nearest parent that exists."""
    if node is None:
        return None
    import yaml

    line = int(node.start_mark.line) + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            match = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if match is None:
                key = next((k for k, _ in node.value if getattr(k, "value", None) == part), None)
                return int(key.start_mark.line) + 1 if key is not None else line
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            return line
        line = int(node.start_mark.line) + 1
    # a key's own line reads better than its value's for scalars
    return line
