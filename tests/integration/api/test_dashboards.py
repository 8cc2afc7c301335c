"""The dashboards' endpoints through the Lambda handler, against real PostgreSQL and Redis: the trader's
loss left, progress, days left, rules and equity curve; the MT5 passwords shown once (local key and KMS
in moto); the admin's risk sort and near-limit list, transitions recent and pending, audited account
actions and resets, programs, system health (SQS in moto); support reading everything and changing
nothing, and a trader seeing only their own, on every endpoint the OpenAPI document lists; CORS. (Requests
resolved concurrently in one process: tests/unit/api/test_resolver.py.)"""

from __future__ import annotations

import base64
import re
import uuid
from datetime import timedelta

import boto3
import orjson
import pytest
from moto import mock_aws
from propfirm.evaluation.provisioning import bind_created_account
from propfirm.mt5.passwords import is_acceptable
from propfirm.queues.messages import CommandResult, SealedPasswords
from propfirm.sealing import KmsCipher, open_sealed
from propfirm.store.uow import UnitOfWork

from tests.integration.api.conftest import NOW, Api, claims, new_login
from tests.integration.api.test_abuse_findings import planted
from tests.integration.api.test_gap_findings import planted_gap
from tests.integration.api.test_handler import assert_problem, email, order

ADMIN = claims("admin", "ops@example.com")
SUPPORT = claims("support", "desk@example.com")


def new_program(api: Api) -> str:
    """A program of the test's own (a copy of two-step-100k), so account lists filter to this test."""
    status, _, shipped = api.call("GET", "/admin/programs", claims=ADMIN)
    assert status == 200
    definition = next(p["definition"] for p in shipped["items"] if p["id"] == "two-step-100k")
    program_id = f"p-{uuid.uuid4().hex[:10]}"
    status, _, added = api.call("POST", "/admin/programs", claims=ADMIN, body={**definition, "id": program_id})
    assert status == 201 and added == {"id": program_id, "version": 1, "added": True}
    return program_id


def set_equity(api: Api, challenge_id: int, equity: str) -> None:
    with UnitOfWork(api.url) as uow:
        uow.execute(
            "UPDATE challenges SET state = jsonb_set(state, '{equity}', to_jsonb(%s::text)) WHERE id = %s",
            (equity, challenge_id),
        )
        uow.commit()


def bind(api: Api, challenge_id: int) -> int:
    """What the evaluator does with the poller's create_account result: the account joins the challenge."""
    login = new_login()
    command_id = f"{challenge_id}:0:create_account"
    result = CommandResult(
        command_id=command_id, type="create_account", server=api.runtime.server, login=login, ok=True, time=NOW
    )
    with UnitOfWork(api.url) as uow:
        uow.outbox.record_result(command_id, True, result.model_dump(mode="json"), NOW)
        assert bind_created_account(uow, result, NOW)
        uow.commit()
    return login


# -- the trader's challenge view -------------------------------------------------------------------------
def test_challenge_view_loss_left_progress_days_left_and_rules(api: Api) -> None:
    mine = email()
    login = new_login()
    cid = api.account_challenge(mine, login)
    api.snapshot(login, balance="101000.00", equity="99500.00")
    status, _, view = api.call("GET", f"/challenges/{cid}", claims=claims("trader", mine))
    assert status == 200, view
    limits = view["limits"]
    # two-step-100k phase 1: daily 5% of the initial balance (floor 95000), static maximum 10% (90000)
    assert limits["equity"] == "99500.00"
    assert limits["daily_loss"] == {
        "floor": "95000",
        "limit": "5000",
        "left": "4500.00",
        "left_pct": "4.50",
        "left_share": "0.9000",
        "paused": False,
    }
    assert limits["max_loss"] == {
        "floor": "90000",
        "limit": "10000",
        "left": "9500.00",
        "left_pct": "9.50",
        "left_share": "0.9500",
    }
    progress = view["progress"]
    assert progress["target_balance"] == "110000" and progress["profit"] == "1000.00"
    assert progress["to_target"] == "9000.00" and progress["progress_pct"] == "10.00"
    assert progress["trading_days"] == 0 and progress["min_trading_days"] == view["rules"]["min_trading_days"]
    deadline = progress["deadline"]
    if deadline is None:
        assert progress["days_left"] is None
    else:
        assert progress["days_left"] == view["rules"]["max_days"] - 1  # registered 2 h before now
    assert view["rules"]["group"] == "challenge\\phase1" and view["rules"]["daily_loss_pct"] == "5"


def test_challenge_view_for_money_limits_a_capped_target_and_a_per_trade_limit(api: Api) -> None:
    from datetime import UTC
    from decimal import Decimal

    from propfirm.live.records import PositionSummary

    program_id = f"futures-{uuid.uuid4().hex[:8]}"
    definition = {
        "id": program_id, "account_size": "50000", "currency": "USD",
        "phases": [
            {"group": "challenge\\futures", "profit_target_amount": "3000", "daily_profit_cap_pct": 50,
             "daily_loss_amount": "1000", "max_loss_amount": "2000", "max_loss_mode": "trailing_eod",
             "trailing_lock": True, "min_profitable_days": 2, "max_trade_loss_amount": "500",
             "max_trade_loss_action": "restrict"},
            {"group": "funded\\futures", "funded": True, "max_loss_amount": "2000", "profit_split_pct": 90},
        ],
    }
    assert api.call("POST", "/admin/programs", claims=ADMIN, body=definition)[0] == 201
    mine = email()
    login = new_login()
    cid = api.account_challenge(mine, login, program=program_id)
    positions = (
        PositionSummary("ES", Decimal("1"), "buy", 7, Decimal("5000"), Decimal("4990"), NOW.astimezone(UTC),
                        Decimal("-320.00"), Decimal("-5.00")),
        PositionSummary("NQ", Decimal("1"), "sell", 8, Decimal("18000"), Decimal("17990"), NOW.astimezone(UTC),
                        Decimal("120.00"), Decimal("0")),
    )
    api.snapshot(login, balance="51900.00", equity="51695.00", positions=positions)
    status, _, view = api.call("GET", f"/challenges/{cid}", claims=claims("trader", mine))
    assert status == 200, view
    limits = view["limits"]
    assert limits["daily_loss"]["floor"] == "49000" and limits["daily_loss"]["limit"] == "1000"
    assert limits["max_loss"]["floor"] == "48000" and limits["max_loss"]["limit"] == "2000"
    assert limits["trade_loss"] == {"limit": "500", "action": "restrict", "worst": "-325.00", "ticket": 7,
                                    "left": "175.00"}
    progress = view["progress"]
    # today made 1,900, 400 above the 1,500 cap (50% of 3,000): the target balance rises by it
    assert progress["uncounted_profit"] == "400.00" and progress["target_balance"] == "53400.00"
    assert (progress["profitable_days"], progress["min_profitable_days"]) == (1, 2)
    words = " ".join(view["rules_text"])
    assert "a balance of 53,000.00 USD" in words and "minus 1,000.00 USD" in words
    assert "a position losing 500.00 USD or more breaks the rule" in words


def test_equity_curve_between_two_times(api: Api) -> None:
    mine = email()
    cid = api.account_challenge(mine, new_login())
    with UnitOfWork(api.url) as uow:
        for minutes in range(10):
            uow.execute(
                "INSERT INTO equity_points (challenge_id, time, balance, equity) VALUES (%s, %s, %s, %s)",
                (cid, NOW - timedelta(minutes=10 - minutes), "100000", f"{99900 + minutes}"),
            )
        uow.commit()
    who = claims("trader", mine)
    start, end = (NOW - timedelta(minutes=8)).isoformat(), (NOW - timedelta(minutes=3)).isoformat()
    status, _, curve = api.call(
        "GET",
        f"/challenges/{cid}/equity?from={start.replace('+', '%2B')}&to={end.replace('+', '%2B')}",
        claims=who,
    )
    assert status == 200, curve
    assert [p["equity"] for p in curve["points"]] == ["99902", "99903", "99904", "99905", "99906", "99907"]
    assert curve["truncated"] is False
    status, _, curve = api.call("GET", f"/challenges/{cid}/equity?limit=4", claims=who)  # the last 7 days
    assert status == 200 and len(curve["points"]) == 4 and curve["truncated"] is True
    assert curve["points"][0]["equity"] == "99900"
    assert_problem(
        *api.call("GET", f"/challenges/{cid}/equity?from=2026-11-25T12:00:00Z&to=2026-11-24T12:00:00Z", claims=who), 422
    )
    assert_problem(*api.call("GET", f"/challenges/{cid}/equity?from=2026-11-25T12:00:00", claims=who), 422)
    assert_problem(*api.call("GET", f"/challenges/{cid}/equity", claims=claims("trader", email())), 404)


# -- MT5 passwords: generated to MT5's rules, kept encrypted, shown once ----------------------------------
def test_mt5_passwords_are_generated_encrypted_and_shown_once(api: Api) -> None:
    sale = order()
    cid = api.purchase(sale)[2]["challenge_id"]
    (command,) = api.rows("SELECT command FROM outbox WHERE challenge_id = %s", (cid,))[0]
    assert "password_main" not in command and "password_investor" not in command  # sealed, never plain
    opened = open_sealed(api.runtime.credentials_cipher(), SealedPasswords.model_validate(command["sealed_passwords"]))
    main, investor = opened.main, opened.investor
    assert is_acceptable(main) and is_acceptable(investor) and main != investor
    assert main not in orjson.dumps(command).decode() and investor not in orjson.dumps(command).decode()
    key_ref, ciphertext = api.rows(
        "SELECT key_ref, ciphertext FROM account_credentials WHERE challenge_id = %s", (cid,)
    )[0]
    assert key_ref.startswith("local:") and main.encode() not in bytes(ciphertext)
    who = api.trader_claims(sale["email"])
    status, headers, problem = api.call("POST", f"/challenges/{cid}/credentials", claims=who)
    assert_problem(status, headers, problem, 409)
    assert problem["code"] == "account_pending"
    login = bind(api, cid)
    # the account exists: the outbox row keeps no password (the trader's copy is the encrypted one)
    (command,) = api.rows("SELECT command FROM outbox WHERE challenge_id = %s", (cid,))[0]
    assert "sealed_passwords" not in command and "password_main" not in command
    assert_problem(*api.call("POST", f"/challenges/{cid}/credentials", claims=claims("trader", email())), 404)
    status, _, shown = api.call("POST", f"/challenges/{cid}/credentials", claims=who)
    assert status == 200, shown
    assert shown["login"] == login and shown["server"] == api.runtime.server
    assert (shown["password_main"], shown["password_investor"]) == (main, investor)
    status, headers, problem = api.call("POST", f"/challenges/{cid}/credentials", claims=who)
    assert_problem(status, headers, problem, 409)
    assert problem["code"] == "already_shown" and main not in orjson.dumps(problem).decode()
    # once shown (and the command done), the outbox keeps not even the sealed copy
    (command,) = api.rows("SELECT command FROM outbox WHERE challenge_id = %s", (cid,))[0]
    assert "sealed_passwords" not in command and "password_main" not in command
    assert api.rows("SELECT revealed_to FROM account_credentials WHERE challenge_id = %s", (cid,)) == [(who["sub"],)]
    # the reveal is audited: who, when, which challenge
    assert api.rows(
        "SELECT payload->>'revealed_to', created_at FROM audit_log WHERE kind = 'credentials.revealed'"
        " AND challenge_id = %s",
        (cid,),
    ) == [(who["sub"], NOW)]


def test_mt5_passwords_with_kms(api: Api, monkeypatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        kms = boto3.client("kms", region_name="us-east-1")
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        api.runtime.cipher = KmsCipher(key_id, kms)
        sale = order()
        cid = api.purchase(sale)[2]["challenge_id"]
        (command,) = api.rows("SELECT command FROM outbox WHERE challenge_id = %s", (cid,))[0]
        key_ref, ciphertext = api.rows(
            "SELECT key_ref, ciphertext FROM account_credentials WHERE challenge_id = %s", (cid,)
        )[0]
        # the command carries the very ciphertext the reveal keeps
        assert command["sealed_passwords"]["key_ref"] == key_ref == f"kms:{key_id}"
        assert base64.b64decode(command["sealed_passwords"]["ciphertext"]) == bytes(ciphertext)
        opened = open_sealed(api.runtime.cipher, SealedPasswords.model_validate(command["sealed_passwords"]))
        # the challenge id is the encryption context: the ciphertext is bound to its row
        with pytest.raises(Exception, match="InvalidCiphertext"):
            kms.decrypt(CiphertextBlob=bytes(ciphertext), EncryptionContext={"challenge_id": str(cid + 1)})
        bind(api, cid)
        status, _, shown = api.call("POST", f"/challenges/{cid}/credentials", claims=api.trader_claims(sale["email"]))
        assert status == 200 and shown["password_main"] == opened.main
        assert api.call("POST", f"/challenges/{cid}/credentials", claims=api.trader_claims(sale["email"]))[0] == 409


# -- the admin's accounts ----------------------------------------------------------------------------------
def test_accounts_sorted_by_risk_and_near_a_limit(api: Api) -> None:
    program = new_program(api)
    ids = {}
    with UnitOfWork(api.url) as uow:
        from propfirm.store.registration import register_account_challenge

        for equity in ("99000", "96000", "98000", "100000"):
            ids[equity] = register_account_challenge(
                uow, api.runtime.server, new_login(), program, trader_email=email(), time=NOW - timedelta(hours=1)
            )
        uow.commit()
    for equity, cid in ids.items():
        set_equity(api, cid, equity)
    # risk = loss left before the closest floor as a share of its limit: daily 5000 from 95000
    status, _, first = api.call("GET", f"/admin/accounts?program={program}&limit=2", claims=SUPPORT)
    assert status == 200, first
    assert [(a["id"], a["risk"]) for a in first["items"]] == [(ids["96000"], "0.200000"), (ids["98000"], "0.600000")]
    assert first["items"][0]["equity"] == "96000" and first["next_cursor"]
    status, _, second = api.call(
        "GET", f"/admin/accounts?program={program}&limit=2&cursor={first['next_cursor']}", claims=SUPPORT
    )
    assert [a["id"] for a in second["items"]] == [ids["99000"], ids["100000"]]
    status, _, near = api.call("GET", f"/admin/accounts/near-limit?within=0.6&program={program}", claims=ADMIN)
    assert status == 200 and [a["id"] for a in near["items"]] == [ids["96000"], ids["98000"]]
    status, _, by_id = api.call("GET", f"/admin/accounts?sort=id&program={program}&status=active", claims=ADMIN)
    assert status == 200 and [a["id"] for a in by_id["items"]] == sorted(ids.values(), reverse=True)
    # filters: the phase, the trader's email (case-insensitive)
    with UnitOfWork(api.url) as uow:
        owner = uow.fetchone(
            "SELECT t.email FROM challenges c JOIN traders t ON t.id = c.trader_id WHERE c.id = %s", (ids["98000"],)
        )[0]
    for sort in ("risk", "id"):
        status, _, found = api.call(
            "GET", f"/admin/accounts?sort={sort}&program={program}&email={owner.upper()}", claims=ADMIN
        )
        assert status == 200 and [a["id"] for a in found["items"]] == [ids["98000"]], found
        status, _, none = api.call("GET", f"/admin/accounts?sort={sort}&program={program}&phase=1", claims=ADMIN)
        assert status == 200 and none["items"] == []
    # a failed account leaves the risk list
    api.call("POST", f"/admin/challenges/{ids['96000']}/fail", claims=ADMIN, body={"reason": "chargeback"})
    status, _, near = api.call("GET", f"/admin/accounts/near-limit?within=0.6&program={program}", claims=ADMIN)
    assert [a["id"] for a in near["items"]] == [ids["98000"]]
    assert_problem(*api.call("GET", "/admin/accounts?cursor=nonsense", claims=ADMIN), 422)
    assert_problem(*api.call("GET", "/admin/accounts?sort=risk&status=failed", claims=ADMIN), 422)
    assert_problem(*api.call("GET", "/admin/accounts?sort=id&cursor=1_2", claims=ADMIN), 422)


def test_transitions_recent_and_pending(api: Api) -> None:
    cid = api.account_challenge(email(), new_login())
    assert api.call("POST", f"/admin/challenges/{cid}/fail", claims=ADMIN, body={"reason": "chargeback"})[0] == 200
    since = (NOW - timedelta(seconds=1)).isoformat().replace("+", "%2B")
    status, _, recent = api.call("GET", f"/admin/transitions?since={since}&limit=500", claims=SUPPORT)
    assert status == 200, recent
    mine = [t for t in recent["items"] if t["challenge_id"] == cid]
    assert [(t["decision"], t["reason"]) for t in mine] == [("failed", "manual")]
    status, _, pending = api.call("GET", f"/admin/transitions/pending?challenge_id={cid}", claims=SUPPORT)
    assert status == 200
    assert sorted(c["kind"] for c in pending["commands"]) == ["close_all", "set_trading"]
    with UnitOfWork(api.url) as uow:
        uow.execute("UPDATE outbox SET status = 'done' WHERE challenge_id = %s", (cid,))
        uow.commit()
    assert api.call("GET", f"/admin/transitions/pending?challenge_id={cid}", claims=SUPPORT)[2]["commands"] == []


# -- account actions: audited commands ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "body", "kind", "command"),
    [
        ("close-all", {}, "close_all", {"type": "close_all"}),
        ("disable", {}, "set_trading", {"type": "set_trading", "enabled": False}),
        ("enable", {}, "set_trading", {"type": "set_trading", "enabled": True}),
        (
            "move-group",
            {"group": "challenge\\review"},
            "move_group",
            {"type": "move_group", "group": "challenge\\review"},
        ),
    ],
)
def test_account_actions_are_audited_commands(api: Api, path: str, body: dict, kind: str, command: dict) -> None:
    login = new_login()
    cid = api.account_challenge(email(), login)
    status, _, out = api.call(
        "POST", f"/admin/challenges/{cid}/{path}", claims=ADMIN, body={"reason": "risk desk", **body}
    )
    assert status == 200, out
    (command_id,) = out["commands"]
    row = api.rows("SELECT kind, status, login, command FROM outbox WHERE command_id = %s", (command_id,))[0]
    assert row[:3] == (kind, "pending", login)
    assert {k: row[3][k] for k in command} == command and row[3]["login"] == login
    audit = api.rows("SELECT id, kind, payload FROM audit_log WHERE challenge_id = %s ORDER BY id", (cid,))
    assert audit[-1][0] == out["audit_id"] and audit[-1][1] == f"account.{path.replace('-', '_')}"
    assert audit[-1][2]["operator"] == "ops@example.com" and audit[-1][2]["reason"] == "risk desk"
    assert audit[-1][2]["command_id"] == command_id
    # support changes nothing; a reason is required; no account yet is a conflict; no challenge a 404
    assert_problem(*api.call("POST", f"/admin/challenges/{cid}/{path}", claims=SUPPORT, body={"reason": "x" * 5}), 403)
    assert_problem(*api.call("POST", f"/admin/challenges/{cid}/{path}", claims=ADMIN, body=body), 422)
    pending = api.purchase(order())[2]["challenge_id"]
    assert_problem(
        *api.call("POST", f"/admin/challenges/{pending}/{path}", claims=ADMIN, body={"reason": "risk", **body}), 409
    )
    assert_problem(
        *api.call(
            "POST", f"/admin/challenges/9223372036854775807/{path}", claims=ADMIN, body={"reason": "r" * 3, **body}
        ),
        404,
    )


def test_reset_restarts_the_phase_of_a_failed_account(api: Api) -> None:
    login = new_login()
    cid = api.account_challenge(email(), login)
    api.snapshot(login, balance="93000.00", equity="93000.00")
    assert api.call("POST", f"/admin/challenges/{cid}/fail", claims=ADMIN, body={"reason": "breach"})[0] == 200
    status, _, out = api.call("POST", f"/admin/challenges/{cid}/reset", claims=ADMIN, body={"reason": "free reset"})
    assert status == 200, out
    assert (out["decision"], out["status"], out["phase"]) == ("reset", "active", 0)
    kinds = [
        k for (k,) in api.rows("SELECT kind FROM outbox WHERE command_id = ANY(%s) ORDER BY id", (out["commands"],))
    ]
    assert kinds == ["set_trading", "move_group", "balance_operation", "set_trading"]
    (amount,) = api.rows("SELECT command->>'amount' FROM outbox WHERE command_id = %s", (f"{cid}:2:reset",))[0]
    assert amount == "7000.00"
    status, awaiting, risk = api.rows("SELECT status, awaiting_reset, risk FROM challenges WHERE id = %s", (cid,))[0]
    assert (status, awaiting) == ("active", f"{cid}:2:reset") and risk is not None
    transitions = api.call("GET", f"/admin/challenges/{cid}", claims=SUPPORT)[2]["transitions_list"]
    assert [(t["decision"], t["from_phase"], t["to_phase"]) for t in transitions] == [
        ("failed", 0, None),
        ("reset", 0, 0),
    ]
    pending = api.purchase(order())[2]["challenge_id"]
    assert_problem(*api.call("POST", f"/admin/challenges/{pending}/reset", claims=ADMIN, body={"reason": "xyz"}), 409)


# -- programs ----------------------------------------------------------------------------------------------
def test_programs_list_create_and_new_version(api: Api) -> None:
    program = new_program(api)
    status, _, listing = api.call("GET", "/admin/programs", claims=SUPPORT)
    mine = [p for p in listing["items"] if p["id"] == program]
    assert status == 200 and [p["version"] for p in mine] == [1]
    definition = mine[0]["definition"]
    assert_problem(*api.call("POST", "/admin/programs", claims=ADMIN, body={**definition, "id": program}), 409)
    changed = {**definition, "leverage": 30}
    status, _, added = api.call("POST", f"/admin/programs/{program}/versions", claims=ADMIN, body=changed)
    assert status == 201 and added == {"id": program, "version": 2, "added": True}
    status, _, same = api.call("POST", f"/admin/programs/{program}/versions", claims=ADMIN, body=changed)
    assert status == 200 and same == {"id": program, "version": 2, "added": False}
    assert_problem(
        *api.call("POST", "/admin/programs/no-such/versions", claims=ADMIN, body={**changed, "id": "no-such"}), 404
    )
    assert_problem(
        *api.call("POST", f"/admin/programs/{program}/versions", claims=ADMIN, body={**changed, "id": "x"}), 422
    )
    status, headers, problem = api.call(
        "POST", "/admin/programs", claims=ADMIN, body={**definition, "id": "p-bad", "account_size": "-5"}
    )
    assert_problem(status, headers, problem, 422)
    assert "account_size" in problem["detail"]
    assert problem["errors"][0]["loc"] == ["body", "account_size"]
    bad_phase = {**definition, "phases": [{**definition["phases"][0], "daily_loss_pct": 150}]}
    status, _, problem = api.call("POST", f"/admin/programs/{program}/versions", claims=ADMIN, body=bad_phase)
    assert status == 422 and problem["errors"][0]["loc"] == ["body", "phases", 0, "daily_loss_pct"]  # at the field
    assert_problem(*api.call("POST", "/admin/programs", claims=SUPPORT, body=definition), 403)
    kinds = [k for (k,) in api.rows("SELECT kind FROM audit_log WHERE payload->>'id' = %s ORDER BY id", (program,))]
    assert kinds == ["program.created", "program.versioned"]


# -- system health -----------------------------------------------------------------------------------------
def test_system_health_heartbeat_queues_and_outbox(api: Api, monkeypatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    key = api.runtime.keys.heartbeat(api.runtime.server)
    api.written.append(key)
    beat = {
        "time": (NOW - timedelta(seconds=7)).isoformat(),
        "epoch": NOW.timestamp() - 7,
        "cycle": 41,
        "accounts": 3,
        "duration_seconds": 0.184,
    }
    api.runtime.redis.set(key, orjson.dumps(beat))
    blind_key = api.runtime.keys.blind(api.runtime.server)
    api.written.append(blind_key)
    gap = {"from": "2026-01-05T09:00:00.000+00:00", "to": "2026-01-05T09:00:09.500+00:00", "seconds": 9.5,
           "failed_cycles": 3, "cause": "ConnectionRefusedError: [Errno 111] Connection refused"}
    api.runtime.redis.lpush(blind_key, orjson.dumps(gap))
    gaps_key = api.runtime.keys.gap_reviews(api.runtime.server)
    api.written.append(gaps_key)
    review = {"from": "2026-01-05T09:00:00+00:00", "to": "2026-01-05T09:00:09.500000+00:00", "interval": gap,
              "checked": 2, "clear": 1, "breached": 1, "possible": 0, "unchecked": 0, "reason": "",
              "accounts": [{"login": 100001, "outcome": "breached", "floor": "99000", "lowest": "98990.00",
                            "at": "2026-01-05T09:00:00+00:00", "checked_until": "2026-01-05T09:00:09.500000+00:00",
                            "reason": "the equity at the minute's extreme quote",
                            "held": [{"ticket": 7, "symbol": "EURUSD", "side": "buy", "volume": "1.00",
                                      "price_open": "1.10000"}]}]}
    api.runtime.redis.lpush(gaps_key, orjson.dumps(review))
    lag_key = api.runtime.keys.evaluation_lag()
    api.written.append(lag_key)
    assert api.call("GET", "/admin/system", claims=SUPPORT)[2]["evaluation"] is None  # no batch yet
    api.runtime.redis.set(lag_key, orjson.dumps({"epoch": NOW.timestamp() - 2, "lag_seconds": 0.42, "messages": 5}))
    api.runtime.pollers = ((api.runtime.server, ""), ("quiet-server", ""))
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="evaluation.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        for n in range(3):
            sqs.send_message(QueueUrl=url, MessageBody="{}", MessageGroupId="g", MessageDeduplicationId=str(n))
        api.runtime.sqs, api.runtime.queues = sqs, {"evaluation": url, "command": url + "-gone"}
        status, _, health = api.call("GET", "/admin/system", claims=SUPPORT)
    assert status == 200, health
    assert health["pollers"][0] == {
        "server": api.runtime.server,
        "last_cycle_at": beat["time"],
        "heartbeat_age_seconds": 7.0,
        "cycle": 41,
        "accounts": 3,
        "cycle_seconds": 0.184,
        "blind_intervals": [gap],  # what the poller could not see, said afterwards
        "gap_reviews": [review],  # and what MT5's record of the gap shows
    }
    assert health["pollers"][1]["heartbeat_age_seconds"] is None  # no heartbeat: never ran, or gone
    assert health["evaluation"] == {"lag_seconds": 0.42, "messages": 5, "age_seconds": 2.0}
    assert health["queues"]["evaluation"] == {"visible": 3, "in_flight": 0}
    assert health["queues"]["command"]["error"]  # a queue it cannot read is reported, not a 500
    assert set(health["outbox"]) == {"pending", "sent"}


# -- roles on every endpoint the document lists -------------------------------------------------------------
def _operations(api: Api) -> list[tuple[str, str]]:
    doc = api.call("GET", "/openapi.json")[2]
    return [(method.upper(), path) for path, item in doc["paths"].items() for method in item]


def test_support_reads_everything_and_changes_nothing(api: Api) -> None:
    cid = api.account_challenge(email(), new_login())
    decided = api.account_challenge(email(), new_login())
    api.call("POST", f"/admin/challenges/{decided}/fail", claims=ADMIN, body={"reason": "a transition to read"})
    [(transition_id,)] = api.rows("SELECT id FROM phase_transitions WHERE challenge_id = %s", (decided,))
    endpoint = api.call("POST", "/admin/webhooks", claims=ADMIN, body={"url": "https://crm.example.com/hooks"})[2]
    finding_id = planted(api)[0]
    gap_finding_id = planted_gap(api)[1]
    ops = [(m, p) for m, p in _operations(api) if p.startswith("/admin/")]
    assert len(ops) >= 20
    for method, template in ops:
        path = (
            template.replace("{challenge_id}", str(cid))
            .replace("{transition_id}", str(transition_id))
            .replace("{payout_id}", "1")
            .replace("{program_id}", "two-step-100k")
            .replace("{endpoint_id}", str(endpoint["id"]))
            .replace("{delivery_id}", "1")
            .replace("{finding_id}", str(finding_id))
            .replace("{gap_finding_id}", str(gap_finding_id))
        )
        body_sent = {"note": "support tries"} if "/abuse/" in path or "/gaps/" in path else {"reason": "support tries"}
        status, headers, body = api.call(method, path, claims=SUPPORT, body=body_sent)
        if method == "GET":
            assert status == 200, (method, template, body)
        else:
            assert_problem(status, headers, body, 403)
    # and nothing was written on the way
    assert api.rows("SELECT count(*) FROM outbox WHERE challenge_id = %s", (cid,)) == [(0,)]


def test_a_trader_sees_only_their_own_on_every_endpoint(api: Api) -> None:
    owner, other = email(), email()
    cid = api.account_challenge(owner, new_login())
    mine = api.account_challenge(other, new_login())
    ops = [(m, p) for m, p in _operations(api) if p.startswith("/challenges/{challenge_id}")]
    assert len(ops) >= 9
    intruder = claims("trader", other)
    for method, template in ops:
        path = template.replace("{challenge_id}", str(cid)).replace("{transition_id}", "1")
        status, headers, body = api.call(method, path, claims=intruder)
        assert_problem(status, headers, body, 404)
        assert str(owner) not in orjson.dumps(body).decode()
    listing = api.call("GET", "/challenges", claims=intruder)[2]["items"]
    assert [c["id"] for c in listing] == [mine]
    # and the trader role reaches nothing of the admin's
    for method, template in _operations(api):
        if template.startswith("/admin/"):
            path = re.sub(r"\{[a-z_]+\}", "1", template)
            assert_problem(*api.call(method, path, claims=intruder, body={"reason": "trader tries"}), 403)


# -- CORS --------------------------------------------------------------------------------------------------
def test_cors_preflight_and_headers_on_every_answer(api: Api) -> None:
    origin = {"Origin": "https://dash.example.com"}
    allowed = ("*", "https://dash.example.com")  # API_CORS_ORIGINS unset: any origin
    preflight = {**origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}
    status, headers, _ = api.call("OPTIONS", "/admin/accounts", headers=preflight)  # no token: a preflight
    assert status == 204 and headers["Access-Control-Allow-Origin"] in allowed
    assert "Authorization" in headers["Access-Control-Allow-Headers"]
    status, headers, _ = api.call("GET", "/admin/accounts", headers=origin, claims=SUPPORT)
    assert status == 200 and headers["Access-Control-Allow-Origin"] in allowed
    status, headers, _ = api.call("GET", "/admin/accounts", headers=origin)  # the gate's 401
    assert status == 401 and headers["Access-Control-Allow-Origin"] in allowed
    status, headers, _ = api.call("GET", "/admin/nowhere", headers=origin, claims=ADMIN)  # a handler's 404
    assert status == 404 and headers["Access-Control-Allow-Origin"] in allowed


def test_cors_origins_are_configurable() -> None:
    from propfirm.api.app import cors_config

    config = cors_config("https://dash.example.com, https://ops.example.com/")
    assert config.to_dict("https://ops.example.com")["Access-Control-Allow-Origin"] == "https://ops.example.com"
    assert config.to_dict("https://evil.example.com") == {}
    assert cors_config("").to_dict("https://any.example.com")["Access-Control-Allow-Origin"]


def test_the_docs_page_needs_no_token_and_loads_the_document(api: Api) -> None:
    status, headers, page = api.call("GET", "/docs")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert 'url: "openapi.json"' in page and "swagger-ui" in page


def test_metrics_are_flushed_per_request_when_on(api: Api, monkeypatch, capsys) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    assert api.call("GET", "/health")[0] == 200
    assert api.call("GET", "/nowhere", claims=ADMIN)[0] == 404
    lines = [orjson.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [line["Requests"] for line in lines] == [[1.0], [1.0]] and all("ServerErrors" not in x for x in lines)
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    assert api.call("GET", "/health")[0] == 200
    assert '"_aws"' not in capsys.readouterr().out


def test_the_trader_lists_are_paged(api: Api) -> None:
    mine = email()
    who = claims("trader", mine)
    ids = sorted((api.account_challenge(mine, new_login()) for _ in range(3)), reverse=True)
    status, _, first = api.call("GET", "/challenges?limit=2", claims=who)
    assert status == 200 and [c["id"] for c in first["items"]] == ids[:2] and first["next_cursor"] == ids[1]
    status, _, rest = api.call("GET", f"/challenges?limit=2&cursor={first['next_cursor']}", claims=who)
    assert [c["id"] for c in rest["items"]] == ids[2:] and rest["next_cursor"] is None
    assert api.call("GET", "/me", claims=who)[2]["challenges"] == 3
    cid = ids[0]
    api.call("POST", f"/admin/challenges/{cid}/fail", claims=ADMIN, body={"reason": "breach"})
    api.call("POST", f"/admin/challenges/{cid}/reset", claims=ADMIN, body={"reason": "free reset"})
    status, _, one = api.call("GET", f"/challenges/{cid}/transitions?limit=1", claims=who)
    assert status == 200 and [t["decision"] for t in one["items"]] == ["failed"] and one["next_cursor"] == 1
    status, _, two = api.call("GET", f"/challenges/{cid}/transitions?limit=1&cursor=1", claims=who)
    assert [t["decision"] for t in two["items"]] == ["reset"]
    status, _, days = api.call("GET", f"/challenges/{cid}/days?limit=1", claims=who)
    assert status == 200 and len(days["items"]) == 1 and days["next_cursor"] == days["items"][0]["trading_day"]
    status, _, after = api.call("GET", f"/challenges/{cid}/days?cursor={days['next_cursor']}", claims=who)
    assert status == 200 and after == {"items": [], "next_cursor": None}
    assert_problem(*api.call("GET", f"/challenges/{cid}/days?cursor=yesterday", claims=who), 422)


def test_an_options_request_that_is_no_preflight_needs_a_token(api: Api) -> None:
    assert_problem(*api.call("OPTIONS", "/admin/accounts"), 401)
    assert_problem(*api.call("OPTIONS", "/admin/accounts", headers={"Origin": "https://dash.example.com"}), 401)


def test_with_the_command_queue_configured_commands_go_out_at_once(api: Api, monkeypatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    login = new_login()
    cid = api.account_challenge(email(), login)
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="commands.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        api.runtime.sqs, api.runtime.queues = sqs, {"command": url}
        status, _, out = api.call("POST", f"/admin/challenges/{cid}/close-all", claims=ADMIN, body={"reason": "now"})
        assert status == 200, out
        messages: list[dict] = []
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
            "Messages"
        ):
            messages += batch
        # the relay sent every due command, this one among them, grouped by account
        mine = [m for m in messages if orjson.loads(m["Body"])["command_id"] == out["commands"][0]]
        assert len(mine) == 1 and mine[0]["Attributes"]["MessageGroupId"] == f"{api.runtime.server}:{login}"
        assert api.rows("SELECT status FROM outbox WHERE command_id = %s", (out["commands"][0],)) == [("sent",)]
        # a queue that refuses leaves the command pending for the evaluator's relay, and the answer stands
        api.runtime.queues = {"command": url + "-gone"}
        status, _, out = api.call("POST", f"/admin/challenges/{cid}/disable", claims=ADMIN, body={"reason": "now"})
        assert status == 200
        assert api.rows("SELECT status FROM outbox WHERE command_id = %s", (out["commands"][0],)) == [("pending",)]
