"""The rules in plain words, as the trader's dashboard shows them."""

from __future__ import annotations

from propfirm.domain.programs import load_example_programs
from propfirm.domain.rule_words import describe_phase

PROGRAMS = load_example_programs()


def test_the_two_step_first_phase() -> None:
    assert describe_phase(PROGRAMS["two-step-100k"], 0) == [
        "Profit target: a balance of 110,000.00 USD (10% of the account size), with no position open.",
        "At least 4 trading days; a day you open a position counts as one.",
        "Daily loss: the floor is the balance at the 00:00 Europe/Prague reset minus 5% of the account size"
        " (5,000.00 USD); equity (open positions included) at or below it at any moment: the account fails.",
        "Maximum loss: equity at or below 90,000.00 USD (the account size minus 10%) fails the account.",
    ]


def test_instant_funding_trails_locks_and_pays() -> None:
    words = describe_phase(PROGRAMS["instant-funding-100k"], 0)
    assert ("Maximum loss: the floor trails the highest balance at a day's close by 6,000.00 USD (6% of the"
            " account size); it stops rising at 100,000.00 USD; equity at or below it fails the account.") in words
    assert "Inactivity: no trade for 30 days ends the account." in words
    assert "No position may be held over the weekend." in words
    assert words[-1] == "Payouts: 80% of the realised profit, at least 14 days apart, from 100.00 USD."
