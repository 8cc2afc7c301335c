"""The run's summary, counted from PostgreSQL (the source of truth), never from in-memory counters.

Every count is of this run's challenges only: those of its server name. Definitions (docs/local-stack.md):

- `accounts`: challenges registered for the run (one per simulated account in a program's group);
- `active`: status `active` (still trading: in an evaluation phase or funded);
- `failed`: status `failed`;
- `completed`: status `passed` (passed the last phase of a program without a funded stage);
  so `active + failed + completed == accounts`;
- `passed`: challenges that passed at least one phase during the run (a `phase_passed` or `funded`
  transition), whatever happened after;
- `funded`: challenges now in their program's funded stage and not failed (those that started funded
  included); `started_funded`: those registered in it; `became_funded`: those that reached it by passing;
- `phase_passes`: `phase_passed` + `funded` transitions; `restricted`: `restricted` transitions
  (soft breaches: pauses, lot limits, weekend holding, …);
- `kills`: kill reports of the poller's fast path the evaluator recorded (`kill.pending` and
  `kill.after_decision` audit rows; repeats not counted);
- `payouts_requested` (every payout of the run's challenges, whatever its status), `payouts_paid`
  (status `paid`), `withdrawn` (the paid payouts' amounts taken from the MT5 accounts: the whole profit)
  and `paid_to_traders` (their trader shares: split plus fee refund); money as strings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from propfirm.store.uow import UnitOfWork

_STATUS = """
SELECT count(*),
       count(*) FILTER (WHERE c.status = 'active'),
       count(*) FILTER (WHERE c.status = 'failed'),
       count(*) FILTER (WHERE c.status = 'passed'),
       count(*) FILTER (WHERE c.status = 'active'
                        AND coalesce((p.definition -> 'phases' -> c.phase ->> 'funded')::boolean, false))
  FROM challenges c
  JOIN programs p ON p.id = c.program_id AND p.version = c.program_version
 WHERE c.server = %s
"""

_TRANSITIONS = """
SELECT count(DISTINCT t.challenge_id) FILTER (WHERE t.decision IN ('phase_passed', 'funded')),
       count(*) FILTER (WHERE t.decision IN ('phase_passed', 'funded')),
       count(DISTINCT t.challenge_id) FILTER (WHERE t.decision = 'funded'),
       count(*) FILTER (WHERE t.decision = 'restricted')
  FROM phase_transitions t
  JOIN challenges c ON c.id = t.challenge_id
 WHERE c.server = %s
"""

_STARTED_FUNDED = """
SELECT count(*)
  FROM challenges c
  JOIN programs p ON p.id = c.program_id AND p.version = c.program_version
 WHERE c.server = %s
   AND coalesce((p.definition -> 'phases' -> c.phase ->> 'funded')::boolean, false)
   AND NOT EXISTS (SELECT 1 FROM phase_transitions t
                    WHERE t.challenge_id = c.id AND t.decision IN ('phase_passed', 'funded'))
"""

_KILLS = """
SELECT count(*) FROM audit_log
 WHERE server = %s AND kind IN ('kill.pending', 'kill.after_decision')
"""

# the blind intervals the poller checked against MT5's record (propfirm.poller.gap_review) and their findings
_GAPS = """
SELECT (SELECT count(*) FROM gap_reviews WHERE server = %s),
       count(*) FILTER (WHERE outcome = 'breached'),
       count(*) FILTER (WHERE outcome = 'possible'),
       count(*) FILTER (WHERE outcome = 'unchecked')
  FROM gap_findings
 WHERE server = %s
"""

_PAYOUTS = """
SELECT count(*),
       count(*) FILTER (WHERE o.status = 'paid'),
       coalesce(sum(o.amount) FILTER (WHERE o.status = 'paid'), 0),
       coalesce(sum(o.trader_share) FILTER (WHERE o.status = 'paid'), 0)
  FROM payouts o
  JOIN challenges c ON c.id = o.challenge_id
 WHERE c.server = %s
"""


def count_run(database_url: str, server: str) -> dict[str, Any]:
    with UnitOfWork(database_url) as uow:
        accounts, active, failed, completed, funded = uow.fetchone(_STATUS, (server,))
        passed, phase_passes, became_funded, restricted = uow.fetchone(_TRANSITIONS, (server,))
        (kills,) = uow.fetchone(_KILLS, (server,))
        (started_funded,) = uow.fetchone(_STARTED_FUNDED, (server,))
        requested, paid, withdrawn, to_traders = uow.fetchone(_PAYOUTS, (server,))
        reviewed, breached, possible, unchecked = uow.fetchone(_GAPS, (server, server))
    return {
        "accounts": accounts,
        "active": active,
        "passed": passed,
        "failed": failed,
        "funded": funded,
        "payouts_paid": paid,
        "completed": completed,
        "phase_passes": phase_passes,
        "started_funded": started_funded,
        "became_funded": became_funded,
        "restricted": restricted,
        "kills": kills,
        "payouts_requested": requested,
        "withdrawn": str(Decimal(withdrawn)),
        "paid_to_traders": str(Decimal(to_traders)),
        "blind_intervals": {
            "reviewed": reviewed,
            "findings": {"breached": breached, "possible": possible, "unchecked": unchecked},
        },
    }
