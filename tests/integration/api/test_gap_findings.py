"""The blind-interval routes: support and admin read the intervals checked and their gap findings with the
evidence; admin dismisses or confirms a finding once, audited, and a confirmation with fail fails the account's
challenge through the audited override, naming the finding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from propfirm.queues.messages import GapAccount, GapReviewMessage
from propfirm.store.gaps import GapStore
from propfirm.store.uow import UnitOfWork

from tests.integration.api.conftest import Api, claims, new_login
from tests.integration.api.test_handler import assert_problem, email

ADMIN = claims("admin", "risk@example.com")
SUPPORT = claims("support", "desk@example.com")


def planted_gap(api: Api) -> tuple[int, int, int, int]:
    """A blind interval with one breached account holding an active challenge and one unchecked account:
    (review id, finding id of the breached one, its login, its challenge id)."""
    login, other = new_login(), new_login()
    challenge = api.account_challenge(email(), login)
    start = datetime(2026, 1, 5, tzinfo=UTC) + timedelta(seconds=login % 10_000_000)  # one interval per test
    message = GapReviewMessage(
        server=api.runtime.server, poller="default", blind_from=start, blind_to=start + timedelta(minutes=3),
        cause="ConnectionError: MT5 away", failed_cycles=2, read_before=start, read_after=start + timedelta(minutes=3),
        checked=9, clear=7, watched=40, killed=3,
        accounts=[
            GapAccount(login=login, outcome="breached", floor="95000", lowest="94870.25",
                       at=start + timedelta(minutes=1)),
            GapAccount(login=other, outcome="unchecked", reason="the account is gone from MT5"),
        ],
    )
    with UnitOfWork(api.url) as uow:
        recorded = GapStore(uow).record(message, datetime.now(UTC))
        uow.commit()
    [finding_id] = [f[0] for f in recorded.new_findings if f[1] == login]
    return recorded.review_id, finding_id, login, challenge


def test_support_reads_the_intervals_and_their_findings(api: Api) -> None:
    review_id, finding_id, login, challenge = planted_gap(api)
    status, _, reviews = api.call("GET", f"/admin/gaps/reviews?server={api.runtime.server}", claims=SUPPORT)
    assert status == 200
    [mine] = [r for r in reviews["items"] if r["id"] == review_id]
    counts = ("checked", "clear", "watched", "killed", "findings", "open_findings")
    assert tuple(mine[k] for k in counts) == (9, 7, 40, 3, 2, 2)
    status, _, listed = api.call("GET", f"/admin/gaps/findings?status=open&login={login}", claims=SUPPORT)
    assert status == 200 and [f["id"] for f in listed["items"]] == [finding_id]
    status, _, one = api.call("GET", f"/admin/gaps/findings/{finding_id}", claims=SUPPORT)
    assert status == 200 and one["challenge_id"] == challenge and one["outcome"] == "breached"
    assert one["evidence"]["lowest"] == "94870.25" and one["cause"] == "ConnectionError: MT5 away"
    assert_problem(*api.call("POST", f"/admin/gaps/findings/{finding_id}/dismiss", claims=SUPPORT,
                             body={"note": "fine"}), 403)
    assert_problem(*api.call("GET", "/admin/gaps/findings", claims=claims("trader", email())), 403)
    assert_problem(*api.call("GET", "/admin/gaps/findings/987654321", claims=SUPPORT), 404)
    # and on the account's own page
    status, _, view = api.call("GET", f"/admin/challenges/{challenge}", claims=SUPPORT)
    assert status == 200 and [g["id"] for g in view["gap_findings"]] == [finding_id]


def test_a_dismissal_is_recorded_once_and_audited(api: Api) -> None:
    _, finding_id, login, challenge = planted_gap(api)
    status, _, dismissed = api.call("POST", f"/admin/gaps/findings/{finding_id}/dismiss", claims=ADMIN,
                                    body={"note": "MT5's tick history shows the floor held"})
    assert status == 200 and dismissed["status"] == "dismissed" and dismissed["decided_by"] == "risk@example.com"
    assert_problem(*api.call("POST", f"/admin/gaps/findings/{finding_id}/confirm", claims=ADMIN,
                             body={"note": "after all"}), 409)
    assert api.rows("SELECT login, challenge_id FROM audit_log WHERE kind = 'gap.finding_dismissed'"
                    " AND payload->>'id' = %s", (str(finding_id),)) == [(login, challenge)]
    assert api.rows("SELECT status FROM challenges WHERE id = %s", (challenge,)) == [("active",)]


def test_a_confirmation_with_fail_fails_the_challenge_through_the_override(api: Api) -> None:
    _, finding_id, _, challenge = planted_gap(api)
    body = {"note": "the minute bars confirm the dip", "fail": True}
    status, _, confirmed = api.call("POST", f"/admin/gaps/findings/{finding_id}/confirm", claims=ADMIN, body=body)
    assert status == 200, confirmed
    assert confirmed["status"] == "confirmed" and confirmed["failed_challenges"] == [challenge]
    [(state, reason, evidence)] = api.rows(
        "SELECT c.status, t.reason, t.evidence::text FROM challenges c"
        " JOIN phase_transitions t ON t.challenge_id = c.id WHERE c.id = %s", (challenge,))
    assert state == "failed" and reason == "manual" and f"gap finding {finding_id}" in evidence


def test_a_confirmation_without_fail_changes_no_challenge(api: Api) -> None:
    _, finding_id, _, challenge = planted_gap(api)
    status, _, confirmed = api.call("POST", f"/admin/gaps/findings/{finding_id}/confirm", claims=ADMIN,
                                    body={"note": "breached, already failed by hand"})
    assert status == 200 and confirmed["failed_challenges"] == []
    assert api.rows("SELECT status FROM challenges WHERE id = %s", (challenge,)) == [("active",)]
