"""Messages from the templates: the event's numbers in the trader's words, per language."""

from __future__ import annotations

from propfirm.notify.plan import targets
from propfirm.notify.templates import render, templates

FAILED = {
    "challenge_id": 12,
    "time": "2026-01-07T14:03:12+00:00",
    "reason": "daily_loss",
    "equity": "94999.00",
    "limit": "95000.00",
    "from_phase": 0,
    "program": {"id": "two-step-100k", "version": 1},
}


def test_a_failure_in_english_and_german() -> None:
    assert render("ChallengeFailed", FAILED) == (
        "Challenge 12 failed on 2026-01-07: the daily loss limit (equity 94999.00, limit 95000.00)."
    )
    assert render("ChallengeFailed", FAILED, "de") == (
        "Challenge 12 am 2026-01-07 nicht bestanden: das tägliche Verlustlimit (Equity 94999.00, Grenze 95000.00)."
    )


def test_a_missing_field_prints_a_question_mark_and_an_unknown_language_falls_back() -> None:
    assert render("PayoutPaid", {"id": 4, "currency": "USD"}, "xx") == "Payout 4 paid: ? USD."
    assert render("SomethingElse", FAILED) is None


def test_every_language_has_every_event_type() -> None:
    english = {k for k in templates()["en"] if k != "reasons"}
    for language, table in templates().items():
        assert {k for k in table if k != "reasons"} == english, language


def test_who_hears_of_what() -> None:
    operators = {"telegram": "-100", "discord": "https://discord.example/hook"}
    assert [(t.channel, t.audience) for t in targets("ChallengeFailed", "t@example.com", operators)] == [
        ("email", "trader")
    ]
    assert [t.channel for t in targets("PayoutRequested", "t@example.com", operators)] == [
        "email",
        "discord",
        "telegram",
    ]
    assert [t.channel for t in targets("PayoutEscalated", "t@example.com", operators)] == ["discord", "telegram"]
    assert targets("ChallengePassed", None, operators) == []


def test_an_early_warning_reaches_the_trader_alone_in_their_words() -> None:
    warning = {
        "challenge_id": 12, "time": "2026-01-07T11:20:00+00:00", "rule": "daily_loss", "reason": "daily_loss",
        "equity": "95900.00", "floor": "95000.00", "headroom": "900.00", "limit": "5000.00", "used_pct": "82.00",
    }
    assert render("FloorWarning", warning) == (
        "Challenge 12: 82.00 % of the daily loss limit used on 2026-01-07 (equity 95900.00, floor 95000.00: "
        "900.00 left)."
    )
    assert "noch 900.00" in (render("FloorWarning", warning, "de") or "")
    operators = {"telegram": "-100"}
    assert [(t.channel, t.audience) for t in targets("FloorWarning", "t@example.com", operators)] == [
        ("email", "trader")
    ]


def test_a_possible_breach_in_a_blind_interval_reaches_the_operators_alone() -> None:
    """Nobody has decided it yet: the trader is not told; the operators' chat gets what to look at."""
    operators = {"telegram": "-100"}
    assert [(t.channel, t.audience) for t in targets("GapFindingRecorded", "t@example.com", operators)] == [
        ("telegram", "operators")
    ]
    finding = {
        "id": 31, "challenge_id": 12, "login": 7101, "outcome": "possible", "lowest": "94400.50", "floor": "95000",
        "at": "2026-01-05T09:01:00+00:00", "blind_from": "2026-01-05T09:00:00+00:00",
        "blind_to": "2026-01-05T09:04:00+00:00", "cause": "ConnectionError: MT5 away",
    }
    assert render("GapFindingRecorded", finding) == (
        "Blind interval 2026-01-05T09:00:00+00:00 to 2026-01-05T09:04:00+00:00 (ConnectionError: MT5 away): login"
        " 7101 (challenge 12) possible, lowest equity 94400.50 against floor 95000 at 2026-01-05T09:01:00+00:00."
        " Gap finding 31 waits for a decision."
    )
