"""The abuse routes: support and admin read findings with their evidence; admin dismisses or confirms, and a
confirmation with fail fails the accounts' challenges through the audited override, naming the finding."""

from __future__ import annotations

from datetime import UTC, datetime

from propfirm.domain.abuse.findings import Finding
from propfirm.store.abuse import FindingStore
from propfirm.store.uow import UnitOfWork

from tests.integration.api.conftest import Api, claims, new_login
from tests.integration.api.test_handler import assert_problem, email

ADMIN = claims("admin", "risk@example.com")
SUPPORT = claims("support", "desk@example.com")


def planted(api: Api, detector: str = "hedging") -> tuple[int, list[int], list[int]]:
    """A finding on two accounts with active challenges: (finding id, logins, challenge ids)."""
    logins = sorted([new_login(), new_login()])
    challenges = [api.account_challenge(email(), login) for login in logins]
    finding = Finding(
        detector, api.runtime.server, tuple(logins), 0.9, {"mirrored_trades": 7}, ((logins[0], 11), (logins[1], 12))
    )
    with UnitOfWork(api.url) as uow:
        FindingStore(uow).upsert([finding], datetime.now(UTC))
        uow.commit()
        [stored] = [f for f in FindingStore(uow).findings(server=api.runtime.server) if f.logins == tuple(logins)]
    return stored.id, logins, challenges


def test_support_reads_findings_and_their_evidence(api: Api) -> None:
    fid, logins, _ = planted(api)
    status, _, listed = api.call("GET", "/admin/abuse/findings?status=open&detector=hedging", claims=SUPPORT)
    assert status == 200
    [mine] = [f for f in listed["items"] if f["id"] == fid]
    assert (mine["logins"], mine["score"], mine.get("evidence")) == (logins, "0.900", None)  # the list: no evidence
    status, _, one = api.call("GET", f"/admin/abuse/findings/{fid}", claims=SUPPORT)
    assert (
        status == 200
        and one["evidence"] == {"mirrored_trades": 7}
        and one["deals"] == [[logins[0], 11], [logins[1], 12]]
    )
    assert_problem(
        *api.call("POST", f"/admin/abuse/findings/{fid}/dismiss", claims=SUPPORT, body={"note": "fine"}), 403
    )
    assert_problem(*api.call("GET", "/admin/abuse/findings", claims=claims("trader", email())), 403)
    assert_problem(*api.call("GET", "/admin/abuse/findings/987654321", claims=SUPPORT), 404)


def test_a_dismissal_is_recorded_once_and_audited(api: Api) -> None:
    fid, _, challenges = planted(api)
    status, _, dismissed = api.call(
        "POST", f"/admin/abuse/findings/{fid}/dismiss", claims=ADMIN, body={"note": "one trader, two strategies"}
    )
    assert status == 200 and dismissed["status"] == "dismissed" and dismissed["decided_by"] == "risk@example.com"
    assert_problem(
        *api.call("POST", f"/admin/abuse/findings/{fid}/confirm", claims=ADMIN, body={"note": "after all"}), 409
    )
    assert api.rows(
        "SELECT kind FROM audit_log WHERE kind = 'abuse.finding_dismissed' AND payload->>'id' = %s", (str(fid),)
    )
    assert api.rows("SELECT status FROM challenges WHERE id = ANY(%s)", (challenges,)) == [("active",), ("active",)]


def test_a_confirmation_with_fail_fails_each_challenge_through_the_override(api: Api) -> None:
    fid, logins, challenges = planted(api, "copy_trading")
    body = {"note": "same device, same signals", "fail": True}
    status, _, confirmed = api.call("POST", f"/admin/abuse/findings/{fid}/confirm", claims=ADMIN, body=body)
    assert status == 200, confirmed
    assert confirmed["status"] == "confirmed" and sorted(confirmed["failed_challenges"]) == sorted(challenges)
    rows = api.rows(
        "SELECT c.status, t.reason, t.evidence::text FROM challenges c"
        " JOIN phase_transitions t ON t.challenge_id = c.id WHERE c.id = ANY(%s)",
        (challenges,),
    )
    assert len(rows) == 2 and all(r[0] == "failed" and r[1] == "manual" for r in rows)
    assert all(f"abuse finding {fid}" in str(r[2]) for r in rows), rows
