"""Four eyes on money, the pure rules (propfirm.payouts.approvals)."""

from __future__ import annotations

from decimal import Decimal

from propfirm.payouts.approvals import Actor, Owner, already_approved_by, approvals_needed, conflict

OWNER = Owner(requested_by="trader-login", trader_sub="trader-login", trader_email="Ann@Example.com")


def test_the_requester_and_the_owner_by_login_or_by_email_are_refused_others_are_not() -> None:
    assert conflict(Actor("trader-login"), OWNER)  # the same login
    assert conflict(Actor("staff-login", "ann@example.COM"), OWNER)  # another login, the same person
    assert conflict(Actor("ops-login", "ops@example.com"), OWNER) is None
    assert conflict(Actor("ops-login"), OWNER) is None  # no email known: the login decides
    asked_for_her = Owner(requested_by="support-login", trader_sub="trader-login", trader_email="ann@example.com")
    assert "requested" in (conflict(Actor("support-login", "desk@example.com"), asked_for_her) or "")


def test_two_approvers_above_the_amount_and_one_person_counts_once() -> None:
    assert approvals_needed(Decimal("1000.00"), Decimal("1000")) == 1  # at the amount: one
    assert approvals_needed(Decimal("1000.01"), Decimal("1000")) == 2
    assert approvals_needed(Decimal("1e9"), None) == 1  # no amount set: one
    given = [{"sub": "ops-login", "email": "ops@example.com"}]
    assert already_approved_by(Actor("ops-login"), given)
    assert already_approved_by(Actor("other-login", "OPS@example.com"), given)  # same person, other login
    assert not already_approved_by(Actor("lee-login", "lee@example.com"), given)
