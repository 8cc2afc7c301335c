"""The issue's scenario, through the real parts of `propfirm dev` (one `DevStack` in this process: the
simulator, the poller, the evaluator driven from moto's SQS by the local event-source loop, the outbox
relay, the payouts workflow executed by moto's Step Functions, the API over HTTP), simulated weeks
compressed into about a minute:

- a signed purchase webhook creates an account on the simulator; a scripted trader trades it; phase 1
  passes and the account moves group; phase 2 passes; funded; a payout is requested through the API as
  the trader, approved through the API as an admin, and the withdrawal deal appears on the simulator;
- beside it, an account that breaks its daily loss has its positions closed and trading disabled by the
  first poller cycle that begins after the breach, and fails with reason `daily_loss`;
- and one that breaks its maximum loss (over three days, never its daily loss) fails with `max_loss`.

Assertions are on PostgreSQL, Redis and the simulator's state. The scripted traders act once a trading
day (server time, Monday to Friday, 02:00-08:00: well inside the day of the programs' midnight-Prague
reset) and fix their results by the prices they close at, so the scenario does not depend on the market.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import httpx
import orjson
import pytest
from propfirm.api.tokens import mint, recorded_sub
from propfirm.explain.service import explain_transition
from propfirm.live.floors import read_floor
from propfirm.live.keys import LiveKeys
from propfirm.local.options import DevOptions
from propfirm.local.stack import DevStack, forget_redis_keys
from propfirm.sim.accounts import DEAL_BALANCE, REASON_CLIENT
from propfirm.sim.world import World
from propfirm.store.uow import UnitOfWork

from tests.instants import MONDAY_JANUARY

pytestmark = pytest.mark.slow

SPEED = 43_200.0  # a simulated day every 2 s; a poller cycle (1 s) is half a day
SLOW_SPEED = 600  # while the scenario waits for the system to see something (Pace): a cycle is 10 minutes
PROGRAM = "two-step-100k"  # phase 1: 10 %, phase 2: 5 %, 4 trading days each; 5 % daily, 10 % max loss
PHASE1, PHASE2, FUNDED = "challenge\\phase1", "challenge\\phase2", "funded\\standard"
DEADLINE = 150.0  # real seconds for the whole scenario: a bound for a stuck run, not a speed check
T = TypeVar("T")


# -- the stack --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dev(database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    saved = dict(os.environ)  # the stack points AWS_* at moto and sets a few names: restored afterwards
    for noisy in ("werkzeug", "botocore", "urllib3", "httpx"):  # a line per moto request otherwise
        logging.getLogger(noisy).setLevel(logging.WARNING)
    options = DevOptions(
        database_url=database_url,
        redis_url=redis_url,
        accounts=20,  # scripted traffic besides the scenario's own accounts
        speed=SPEED,
        start=MONDAY_JANUARY,  # the scripted traders act Monday to Friday: the scenario starts on a Monday
        headless=True,
        api_port=0,
        auto_approve=False,  # an admin approves through the API
        trader_desk=False,  # the scenario's trader asks for its payout itself
        funded_days=0,
        run_dir=tmp_path_factory.mktemp("scenario"),
    )
    stack = DevStack(options)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
        forget_redis_keys(stack.redis, options.redis_namespace)
        stack.redis.close()
        os.environ.clear()
        os.environ.update(saved)


# -- helpers ----------------------------------------------------------------------------------------------
def wait_for(
    what: str,
    check: Callable[[], T | None],
    until: float,
    act: Callable[[], object] = lambda: None,
    explain: Callable[[], object] = lambda: "",
) -> T:
    """Call `act` and `check` every 50 ms until `check` returns something truthy; fail past `until`."""
    while True:
        act()
        result = check()
        if result:
            return result
        if time.monotonic() > until:
            pytest.fail(f"timed out waiting for {what} {explain()}")
        time.sleep(0.05)


def rows(dev: DevStack, sql: str, *params: Any) -> list[tuple]:
    with UnitOfWork(dev.options.database_url) as uow:
        return [tuple(r) for r in uow.fetchall(sql, params)]


def purchase(dev: DevStack, email: str) -> int:
    """The shop's signed webhook (the signature's time is the wall clock's, the simulated one runs fast)."""
    body = orjson.dumps({"order_id": uuid.uuid4().hex, "email": email, "name": "Scenario Trader", "program": PROGRAM})
    stamp = str(int(time.time()))
    secret = dev.api.runtime.webhook_secret.encode()
    signature = hmac.new(secret, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    answer = httpx.post(
        f"{dev.api.url}/webhooks/purchase",
        content=body,
        headers={"X-Timestamp": stamp, "X-Signature": f"sha256={signature}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert answer.status_code == 202, answer.text
    return int(answer.json()["challenge_id"])


def bound(dev: DevStack, challenge_id: int) -> int | None:
    """The challenge's MT5 login once the account exists, is bound and has an equity floor in Redis."""
    [(login, status)] = rows(dev, "SELECT login, status FROM challenges WHERE id = %s", challenge_id)
    if login is None or status != "active":
        return None
    keys = LiveKeys(dev.options.redis_namespace)
    return int(login) if read_floor(dev.redis, keys, dev.options.server, int(login)) is not None else None


def transitions(dev: DevStack, challenge_id: int) -> list[tuple[int, int | None, str, str]]:
    return rows(
        dev,
        "SELECT from_phase, to_phase, decision, reason FROM phase_transitions WHERE challenge_id = %s"
        " ORDER BY transition_no",
        challenge_id,
    )


def round_trip(world: World, login: int, result: Decimal, lots: Decimal = Decimal("2")) -> None:
    """Buy EURUSD and sell it back at the price that makes `result` (before commission): the market's
    moves do not matter (a profit in USD is the price move x 100,000 x lots)."""
    with world.lock:
        ticket = world.open_position(login, "EURUSD", "buy", lots, reason=REASON_CLIENT)
        price = world.positions[ticket].price_open + result / (lots * 100_000)
        world.close_position(login, ticket, price=price, reason=REASON_CLIENT)


@dataclass
class Pace:
    """The simulated clock runs at SPEED, and slows down while the scenario waits for the system to see
    something before time moves on: a scripted trade the poller has not snapshotted yet (a daily reset
    passing first would start the next day from a balance the engine never saw: at full speed a poller
    cycle is 12 simulated hours, which a busy machine stretches), or the breach waiting for its kill. So
    the scenario's budgets are simulated time, whatever this machine's load."""

    world: World
    holds: set[str] = field(default_factory=set)

    def hold(self, reason: str) -> None:
        self.holds.add(reason)
        self.world.clock.set_speed(SLOW_SPEED)

    def release(self, reason: str) -> None:
        self.holds.discard(reason)
        if not self.holds:
            self.world.clock.set_speed(SPEED)


@dataclass
class Scripted:
    """One trade a trading day: `plan(trader)` says the result of today's trade, or None for none. After a
    trade the clock goes slowly until the poller has snapshotted the account since."""

    world: World
    login: int
    plan: Callable[[Scripted], Decimal | None]
    pace: Pace
    seen: Callable[[int], datetime | None]  # the time of the poller's last snapshot of a login
    days: list[date] = field(default_factory=list)  # the days it traded in its current group
    group: str = ""
    groups: list[str] = field(default_factory=list)  # every group it traded in, in order
    unseen: datetime | None = None  # when the last trade was made, until a later snapshot is taken

    def observe(self) -> None:
        snapped = self.seen(self.login)
        if self.unseen is not None and snapped is not None and snapped > self.unseen:
            self.unseen = None
            self.pace.release(f"trade {self.login}")

    def act(self) -> None:
        with self.world.lock:
            account = self.world.get_account(self.login)
            wall = self.world.zone.wall(self.world.now())
            if account.trade_disabled or wall.weekday() >= 5 or not 2 <= wall.hour < 8:
                return
            if account.group != self.group:  # moved (and trading enabled again): a phase afresh
                self.group, self.days = account.group, []
                self.groups.append(account.group)
            if self.days and self.days[-1] == wall.date():
                return
            result = self.plan(self)
            if result is None:
                return
            self.pace.hold(f"trade {self.login}")
            round_trip(self.world, self.login, result)
            self.unseen = self.world.now()
            self.days.append(wall.date())


def climber(trader: Scripted) -> Decimal | None:
    """Careful and good: a fifth above the target's share a day until the phase's four days are done;
    funded, one winning day, then it waits for its payout."""
    per_day = {PHASE1: Decimal("3000"), PHASE2: Decimal("1500"), FUNDED: Decimal("1000")}
    days = 1 if trader.group == FUNDED else 4
    return per_day[trader.group] if len(trader.days) < days else None


def bleeder(trader: Scripted) -> Decimal | None:
    """Loses 4 % a day, within the 5 % daily limit, until the third day takes it below the 10 % floor."""
    return (Decimal("-4000"), Decimal("-4000"), Decimal("-2600"))[len(trader.days)] if len(trader.days) < 3 else None


# -- the scenario -----------------------------------------------------------------------------------------
def test_purchase_to_paid_payout_beside_a_daily_loss_kill_and_a_max_loss_fail(dev: DevStack) -> None:
    until = time.monotonic() + DEADLINE
    world, server = dev.market.world, dev.options.server
    keys = LiveKeys(dev.options.redis_namespace)
    emails = {name: f"{name}.{uuid.uuid4().hex[:8]}@example.com" for name in ("climber", "breaker", "bleeder")}
    docs = httpx.get(f"{dev.api.url}/docs", timeout=10)  # the API's docs page, no token needed
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    challenges = {name: purchase(dev, email) for name, email in emails.items()}

    # each purchase: create_account through the outbox, carried out on the simulator, bound by the evaluator
    logins = {
        name: wait_for(f"{name}'s account", lambda c=cid: bound(dev, c), until) for name, cid in challenges.items()
    }
    for name, login in logins.items():
        account = world.get_account(login)
        assert account.group == PHASE1 and world.account(login).balance == Decimal("100000")
        [(status, phase, bound_login)] = rows(
            dev, "SELECT status, phase, login FROM challenges WHERE id = %s", challenges[name]
        )
        assert (status, phase, bound_login) == ("active", 0, login)

    pace = Pace(world)

    def seen(login: int) -> datetime | None:
        raw = dev.redis.get(keys.snap(server, login))
        return None if raw is None else datetime.fromisoformat(orjson.loads(raw)["time"])

    climbing = Scripted(world, logins["climber"], climber, pace, seen)
    bleeding = Scripted(world, logins["bleeder"], bleeder, pace, seen)
    breaker = logins["breaker"]
    breach: dict[str, float] = {}

    def break_daily_loss() -> None:
        """Lose 5,600 in one trade (the daily floor is 95,000) and keep a small position open: on a weekday,
        once the kill switch holds today's floor, with at least two simulated hours left before it expires
        at the next reset. The clock slows down first (Pace), so those two hours are 12 poller cycles,
        however late the evaluator renewed the floor after the reset on a busy machine."""
        floor = read_floor(dev.redis, keys, server, breaker)
        with world.lock:
            now = world.now()
            if breach or world.zone.wall(now).weekday() >= 5 or floor is None:
                return
            if floor.expires_at - now < timedelta(hours=2):
                return
            assert (floor.level, floor.reason) == (Decimal("95000"), "daily_loss")
            # the measurement is "within one poller cycle", which must not hinge on this machine's load:
            # at full speed a busy core can delay a cycle past the floor's expiry (a cycle is 12 simulated
            # hours), so the clock slows down (a cycle: 10 simulated minutes) until the kill is seen
            pace.hold("breach")
            round_trip(world, breaker, Decimal("-5600"))
            world.open_position(breaker, "GBPUSD", "buy", Decimal("0.10"), reason=REASON_CLIENT)
            assert Decimal("90000") < world.account(breaker).equity < Decimal("95000")
        breach["at"] = time.monotonic()

    def keep_pace() -> None:
        """Every wait lets the scripted traders see their snapshots (the clock speeds up again)."""
        for scripted in (climbing, bleeding):
            scripted.observe()

    def trade() -> None:
        keep_pace()
        for scripted in (climbing, bleeding):
            scripted.act()
        break_daily_loss()

    # the daily-loss breaker: killed by the first poller cycle that begins after the breach
    records = dev.poller.poller.records
    killed = wait_for(
        "the daily-loss kill",
        lambda: next((r for r in list(records) if breaker in r.kills), None),
        until,
        act=trade,
        explain=lambda: (
            f"(simulated now {world.now()}, breach {breach}, breaker's floor "
            f"{read_floor(dev.redis, keys, server, breaker)})"
        ),
    )
    # a cycle already running when the breach was stamped may read it and kill: sooner still
    later = [r.cycle for r in list(records) if r.began >= breach["at"]]
    assert not later or killed.cycle <= min(later), "the kill came later than the first cycle after the breach"
    with world.lock:
        assert world.get_account(breaker).positions == {} and world.get_account(breaker).trade_disabled
    pace.release("breach")
    wait_for("the breaker's failure", lambda: transitions(dev, challenges["breaker"]), until, act=trade)
    assert transitions(dev, challenges["breaker"]) == [(0, None, "failed", "daily_loss")]

    def kills_recorded() -> list[str]:  # the poller's kill report reaches the evaluator in the cycle's message
        query = (
            "SELECT kind FROM audit_log WHERE server = %s AND login = %s"
            " AND kind IN ('kill.pending', 'kill.after_decision') ORDER BY id"
        )
        return [k for (k,) in rows(dev, query, server, breaker)]

    wait_for("the kill recorded beside the evaluator's decision", kills_recorded, until, act=keep_pace)
    assert len(kills_recorded()) == 1  # one kill, recorded once (the summary's `kills` counts these)
    # the decision recomputed from the inputs the evaluator stored with it, and told in words
    [(transition_id,)] = rows(dev, "SELECT id FROM phase_transitions WHERE challenge_id = %s", challenges["breaker"])
    with UnitOfWork(dev.options.database_url) as uow:
        told = explain_transition(uow, transition_id)
    assert told is not None and told["same"] is True, told and told["differences"]
    assert "The daily floor was 95,000.00" in told["text"] and told["floors"]["binding"] == "daily"
    # Redis: the failed account's floor is gone (nothing left to guard), its last snapshot shows it flat
    wait_for(
        "the breaker's floor removed",
        lambda: read_floor(dev.redis, keys, server, breaker) is None,
        until,
        act=keep_pace,
    )

    def flat_snapshot() -> bool:
        snapshot = orjson.loads(dev.redis.get(keys.snap(server, breaker)))
        return Decimal(snapshot["equity"]) == Decimal(snapshot["balance"]) < Decimal("95000")

    wait_for(
        "the breaker's snapshot flat",
        flat_snapshot,
        until,
        act=keep_pace,
        explain=lambda: dev.redis.get(keys.snap(server, breaker)),
    )

    # the bleeder: three losing days, then the maximum loss
    wait_for("the bleeder's failure", lambda: transitions(dev, challenges["bleeder"]), until, act=trade)
    assert transitions(dev, challenges["bleeder"]) == [(0, None, "failed", "max_loss")]
    assert len(bleeding.days) == 3
    assert world.account(bleeding.login).balance < Decimal("90000")

    def bleeder_disabled() -> bool:  # the evaluator's disable command, through the outbox relay and the poller
        with world.lock:
            return world.get_account(bleeding.login).trade_disabled

    wait_for("the bleeder's trading disabled", bleeder_disabled, until, act=trade)

    # the climber: phase 1, phase 2, funded, one winning funded day
    def funded_and_traded() -> bool:
        return climbing.group == FUNDED and len(climbing.days) == 1

    wait_for("the climber funded with a funded trade", funded_and_traded, until, act=trade)
    assert climbing.groups == [PHASE1, PHASE2, FUNDED]
    assert [t[:3] for t in transitions(dev, challenges["climber"])] == [(0, 1, "phase_passed"), (1, 2, "funded")]
    # the payout: the trader asks once eligible (14 simulated days funded), an admin approves
    # the trader is the login's sub the purchase recorded (as `propfirm token --role trader --email E` mints)
    climber_sub = recorded_sub(dev.options.database_url, emails["climber"])
    trader = {"Authorization": f"Bearer {mint('trader', email=emails['climber'], sub=climber_sub)}"}
    admin = {"Authorization": f"Bearer {mint('admin', email='scenario.admin@example.com')}"}
    api = httpx.Client(base_url=dev.api.url, timeout=10)
    cid = challenges["climber"]

    def eligible() -> dict | None:
        answer = api.get(f"/challenges/{cid}/payouts/eligibility", headers=trader)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        return body if body.get("eligible") else None

    quote = wait_for(
        "payout eligibility",
        eligible,
        until,
        act=keep_pace,
        explain=lambda: f"(simulated now {world.now()}, speed {world.clock.speed}, holds {pace.holds})",
    )
    requested = api.post(f"/challenges/{cid}/payouts", headers=trader)
    assert requested.status_code == 201, requested.text
    payout_id = int(requested.json()["id"])

    def status() -> str:
        [(value,)] = rows(dev, "SELECT status FROM payouts WHERE id = %s", payout_id)
        return str(value)

    wait_for("the payout awaiting approval", lambda: status() == "awaiting_approval", until, act=keep_pace)
    approved = api.post(f"/admin/payouts/{payout_id}/approve", headers=admin, json={"note": "scenario"})
    assert approved.status_code == 200, approved.text
    wait_for("the payout paid", lambda: status() == "paid", until, act=keep_pace)

    [(amount, profit, decided_by)] = rows(
        dev, "SELECT amount, profit, decided_by FROM payouts WHERE id = %s", payout_id
    )
    assert amount == profit == Decimal(quote["quote"]["amount"]) > 0
    assert decided_by == "scenario.admin@example.com"
    with world.lock:
        # the funding deal, a reset after each pass (the gains taken back), then the withdrawal
        every_deal = world.deals_of(world.get_account(climbing.login))  # memory's and the history's on disk
        balance_deals = [d for d in every_deal if d.action == DEAL_BALANCE]
        assert [d.profit > 0 for d in balance_deals] == [True, False, False, False]
        assert balance_deals[-1].profit == -amount and "payout" in balance_deals[-1].comment
        assert world.account(climbing.login).balance == Decimal("100000")  # back to the period's start
    # PostgreSQL, once the poller has carried the withdrawal's deal to the evaluator: the funding and the
    # resets are the system's own (a phase begun afresh), the withdrawal a balance operation (it lowers the
    # floors), and the floor hold kept in Redis while the withdrawal was on its way is dropped
    roles = ["system"] * 3 + ["balance_operation"]
    expected = [(d.ticket, role, d.profit) for d, role in zip(balance_deals, roles, strict=True)]
    seen: dict[str, object] = {}

    def recorded() -> bool:
        seen["roles"] = roles = rows(
            dev,
            "SELECT ticket, role, profit FROM deals WHERE server = %s AND login = %s AND action = 'balance'"
            " ORDER BY ticket",
            server,
            climbing.login,
        )
        seen["hold"] = hold = dev.redis.get(keys.floor_hold(server, climbing.login))
        return roles == expected and hold is None

    wait_for(
        "the balance deals recorded and the floor hold dropped",
        recorded,
        until,
        act=keep_pace,
        explain=lambda: f"(expected {expected}, found {seen})",
    )
    snapshot = orjson.loads(dev.redis.get(keys.snap(server, climbing.login)))
    assert Decimal(snapshot["balance"]) == Decimal("100000")  # the live state in Redis after the withdrawal
    [(status_now, phase_now)] = rows(dev, "SELECT status, phase FROM challenges WHERE id = %s", cid)
    assert (status_now, phase_now) == ("active", 2)
    api.close()
