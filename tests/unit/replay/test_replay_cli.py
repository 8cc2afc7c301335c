"""`propfirm replay` and `propfirm programs validate` as the contract describes them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from propfirm.domain.programs import EXAMPLE_PROGRAMS_DIR

from .helpers import cli, replay, write_lines

START = {"type": "start", "time": "2026-03-02T08:00:00+00:00", "login": 5001, "program": "two-step-100k"}


def snap(time: str, balance: str, equity: str, login: int = 5001, **extra) -> dict:
    return {"type": "snapshot", "time": time, "login": login, "balance": balance, "equity": equity, **extra}


def test_decisions_have_exactly_the_contract_keys_in_utc(tmp_path):
    events = write_lines(
        tmp_path / "events.jsonl",
        [
            START,
            # 11:00 in Prague is 10:00 UTC; the printed time keeps the instant, in UTC
            snap("2026-03-02T11:00:00+01:00", "100000.00", "94999.99"),
        ],
    )
    status, decisions, err = replay(EXAMPLE_PROGRAMS_DIR, events)
    assert status == 0, err
    assert decisions == [
        {
            "time": "2026-03-02T10:00:00+00:00",
            "login": 5001,
            "server": "default",
            "decision": "failed",
            "phase": "phase1",
            "reason": "daily_loss",
            "equity": "94999.99",
            "limit": "95000.00",
        }
    ]
    line = EXAMPLE_PROGRAMS_DIR / "two-step-100k.yaml"
    status, decisions, _ = replay(line, events)  # a single program file works as well
    assert status == 0 and len(decisions) == 1


def test_servers_keep_accounts_apart_and_deadlines_print_a_null_limit(tmp_path):
    program = tmp_path / "p.yaml"
    program.write_text(
        "id: slow\naccount_size: '100000'\nphases:\n"
        "  - group: g\n    max_days: 5\n    profit_target_pct: 10\n"
    )
    events = write_lines(
        tmp_path / "events.jsonl",
        [
            {"type": "start", "time": "2026-03-02T08:00:00Z", "login": 1, "program": "slow", "server": "a"},
            {"type": "start", "time": "2026-03-02T08:00:00Z", "login": 1, "program": "slow", "server": "b"},
            {
                **snap("2026-03-03T08:00:00Z", "110000.00", "110000.00", login=1),
                "server": "a",
                "positions": [],
            },
            {**snap("2026-03-08T08:00:00Z", "100000.00", "100000.00", login=1), "server": "b"},
        ],
    )
    status, decisions, err = replay(program, events)
    assert status == 0, err
    assert [(d["server"], d["decision"], d["reason"], d["limit"]) for d in decisions] == [
        ("a", "funded", "profit_target", "110000.00"),
        ("b", "failed", "max_days", None),
    ]


def test_news_calendar_file(tmp_path):
    program = tmp_path / "p.yaml"
    program.write_text(
        "id: news\naccount_size: '100000'\nphases:\n  - group: g\n    news_blackout_minutes: 2\n"
    )
    news = write_lines(tmp_path / "news.txt", ["# NFP", "2026-03-06T13:30:00+00:00", ""])
    events = write_lines(
        tmp_path / "events.jsonl",
        [
            {"type": "start", "time": "2026-03-06T08:00:00+00:00", "login": 7, "program": "news"},
            {
                "type": "deal",
                "time": "2026-03-06T13:31:30+00:00",
                "login": 7,
                "deal": 1,
                "entry": "in",
                "symbol": "USDJPY",
                "volume": "1.00",
                "profit": "0.00",
                "commission": "-3.50",
                "swap": "0.00",
                "position": 9,
            },
            snap("2026-03-06T13:32:00+00:00", "99996.50", "99990.00", login=7),
        ],
    )
    status, decisions, err = replay(program, events, "--news", str(news))
    assert status == 0, err
    assert [(d["reason"], d["limit"]) for d in decisions] == [("news_blackout", None)]
    assert replay(program, events)[1] == []  # without a calendar: nothing
    bad_news = write_lines(tmp_path / "bad-news.txt", ["2026-03-06T13:30:00"])
    status, _, err = replay(program, events, "--news", str(bad_news))
    assert status == 2 and "bad-news.txt:1:" in err


GOOD_PREFIX = [json.dumps(START), json.dumps(snap("2026-03-02T08:30:00+00:00", "100000", "100000"))]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{not json", "malformed JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"type":"teleport","time":"2026-03-02T09:00:00+00:00","login":5001}', "unknown event type"),
        ('{"time":"2026-03-02T09:00:00+00:00","login":5001}', "missing field 'type'"),
        (
            '{"type":"snapshot","time":"2026-03-02T09:00:00+00:00","login":5001,"equity":"1"}',
            "missing field 'balance'",
        ),
        ('{"type":"snapshot","login":5001,"balance":"1","equity":"1"}', "missing field 'time'"),
        (
            '{"type":"snapshot","time":"2026-03-02T09:00:00+00:00","balance":"1","equity":"1"}',
            "missing field 'login'",
        ),
        (
            '{"type":"snapshot","time":"2026-03-02T09:00:00+00:00","login":5001,"balance":"1e","equity":"1"}',
            "not a decimal amount",
        ),
        (
            '{"type":"snapshot","time":"2026-03-02T09:00:00+00:00","login":5001,"balance":"NaN","equity":"1"}',
            "not a finite amount",
        ),
        (
            '{"type":"snapshot","time":"2026-03-02T09:00:00+00:00","login":5001,"balance":100000.5,"equity":"1"}',
            "decimal string",
        ),
        (
            '{"type":"snapshot","time":"2026-03-02T09:00:00","login":5001,"balance":"1","equity":"1"}',
            "no UTC offset",
        ),
        ('{"type":"snapshot","time":"yesterday","login":5001,"balance":"1","equity":"1"}', "not ISO 8601"),
        (
            '{"type":"snapshot","time":"2026-03-02T08:00:00+00:00","login":5001,"balance":"1","equity":"1"}',
            "out of time order",
        ),
        (
            '{"type":"snapshot","time":"2026-03-02T09:00:00+00:00","login":"5001","balance":"1","equity":"1"}',
            "login must be an integer",
        ),
        (
            '{"type":"snapshot","time":"2026-03-02T09:00:00+00:00","login":9,"balance":"1","equity":"1"}',
            "unknown login",
        ),
        (
            '{"type":"snapshot","time":"2026-03-02T09:00:00+00:00","login":5001,"balance":"1","equity":"1",'
            '"positions":[{"symbol":"EURUSD","volume":"1","type":"long"}]}',
            "positions[0].type",
        ),
        (
            '{"type":"deal","time":"2026-03-02T09:00:00+00:00","login":5001,"deal":1,"entry":"sideways",'
            '"symbol":"EURUSD","volume":"1","profit":"0","position":1}',
            "entry must be",
        ),
        (
            '{"type":"deal","time":"2026-03-02T09:00:00+00:00","login":5001,"deal":1,"entry":"in",'
            '"symbol":"EURUSD","volume":"1","profit":"0"}',
            "missing field 'position'",
        ),
        ('{"type":"balance","time":"2026-03-02T09:00:00+00:00","login":5001}', "missing field 'amount'"),
        (
            '{"type":"start","time":"2026-03-02T09:00:00+00:00","login":5002,"program":"nope"}',
            "unknown program 'nope'",
        ),
        (
            '{"type":"start","time":"2026-03-02T09:00:00+00:00","login":5001,"program":"two-step-100k"}',
            "already started",
        ),
    ],
)
def test_a_bad_line_stops_with_file_line_and_reason(tmp_path, line, reason):
    events = write_lines(tmp_path / "events.jsonl", [*GOOD_PREFIX, line, json.dumps(GOOD_PREFIX[1])])
    status, _, err = replay(EXAMPLE_PROGRAMS_DIR, events)
    assert status == 2
    assert "events.jsonl:3: " in err and reason in err, err


def test_decisions_before_a_bad_line_are_kept_and_the_error_names_where_it_stopped(tmp_path):
    events = write_lines(
        tmp_path / "events.jsonl",
        [START, snap("2026-03-02T09:00:00+00:00", "100000.00", "80000.00"), "{broken"],
    )
    status, decisions, err = replay(EXAMPLE_PROGRAMS_DIR, events)
    assert status == 2 and len(decisions) == 1 and "events.jsonl:3:" in err


def test_a_bad_program_file_exits_2_naming_file_and_field(tmp_path):
    (tmp_path / "bad.yaml").write_text(
        "id: x\naccount_size: '100000'\nphases:\n  - group: g\n    breach_at: near\n"
    )
    events = write_lines(tmp_path / "events.jsonl", [START])
    status, _, err = replay(tmp_path / "bad.yaml", events)
    assert status == 2 and "bad.yaml:5: phases[0].breach_at:" in err


def test_replay_as_a_process_exits_2_with_file_line_reason(tmp_path):
    events = write_lines(tmp_path / "events.jsonl", [*GOOD_PREFIX, '{"type":"snapshot"'])
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "propfirm.cli",
            "replay",
            "--programs",
            str(EXAMPLE_PROGRAMS_DIR),
            "--events",
            str(events),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert f"{events}:3: malformed JSON" in proc.stderr
    good = write_lines(
        tmp_path / "good.jsonl", [START, snap("2026-03-02T09:00:00+00:00", "100000.00", "89000.00")]
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "propfirm.cli",
            "replay",
            "--programs",
            str(EXAMPLE_PROGRAMS_DIR),
            "--events",
            str(good),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(x)["reason"] for x in proc.stdout.splitlines()] == ["daily_loss"]


def test_programs_validate(tmp_path):
    status, out, err = cli("programs", "validate", str(EXAMPLE_PROGRAMS_DIR))
    assert status == 0, err
    lines = out.splitlines()
    assert len(lines) == 6 and any(line.startswith("two-step-100k: 100000 USD") for line in lines)
    (tmp_path / "bad.yaml").write_text(
        "id: x\naccount_size: '100000'\nphases:\n  - group: g\n    max_lots: 0\n"
    )
    status, out, err = cli("programs", "validate", str(tmp_path))
    assert status == 2 and out == ""
    assert "bad.yaml:5: phases[0].max_lots: Input should be greater than 0" in err
