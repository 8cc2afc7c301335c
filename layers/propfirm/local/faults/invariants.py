"""What must hold at the end of a run, whatever broke during it (the summary's `invariants`): each check
reads PostgreSQL and the simulator's world (what MT5 itself holds), and answers `ok` with a detail.

- `transitions_once`: no decision recorded twice (one transition per phase change, one failure at most,
  the challenge's count of transitions equal to its rows) and none lost (each challenge's status and phase
  are those its transitions lead to; every transition recomputes to the same decision from its inputs);
- `payouts_paid_once`: every deal in at most one payout (besides failed or rejected ones, whose deals are
  released); every paid payout withdrawn on MT5 exactly once,
  and every withdrawal on MT5 belongs to a paid payout;
- `failed_accounts_closed`: every failed account has trading disabled on MT5 and no open position;
- `outbox_settled`: no command left unsent or unanswered (scheduled ones not yet due aside);
- `audit_chain`: the audit log's hash chain whole, as `propfirm audit verify` walks it;
- `same_decisions`: against the ground truth (the truth file replayed through the rule engine, what an
  observer that misses nothing decides): no live failure that did not happen, and no maximum-loss breach
  that stayed through its floor left undecided. What polling cannot see (a dip that came back between two
  reads, a daily crossing on a day-start balance read before the reset's last deals: #19) is counted in
  the detail and in `detection`; no fault may make the live system decide otherwise.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from propfirm.domain.decisions import FAILED, FUNDED, MAX_LOSS, PHASE_PASSED
from propfirm.domain.programs import Program
from propfirm.local.faults.health import IN_FLIGHT
from propfirm.store.uow import UnitOfWork

# the withdrawal's deal comment on MT5: `payout {id}` and the command's tag (propfirm.poller.commands)
PAYOUT_COMMENT = re.compile(r"^payout (\d+)(?:#|$)")


def _result(problems: list[str], fine: str) -> dict[str, Any]:
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        return {"ok": False, "detail": shown}
    return {"ok": True, "detail": fine}


def transitions_once(database_url: str, server: str) -> dict[str, Any]:
    from propfirm.explain.service import explain_transition

    with UnitOfWork(database_url, autocommit=True) as uow:
        challenges = uow.fetchall(
            "SELECT id, status, phase, transitions FROM challenges WHERE server = %s ORDER BY id", (server,)
        )
        rows = uow.fetchall(
            "SELECT t.id, t.challenge_id, t.transition_no, t.from_phase, t.to_phase, t.decision"
            " FROM phase_transitions t JOIN challenges c ON c.id = t.challenge_id"
            " WHERE c.server = %s ORDER BY t.challenge_id, t.transition_no",
            (server,),
        )
        by_challenge: dict[int, list[tuple]] = {}
        for row in rows:
            by_challenge.setdefault(int(row[1]), []).append(row)
        problems: list[str] = []
        for challenge_id, status, phase, count in challenges:
            own = by_challenge.get(int(challenge_id), [])
            if len(own) != count:
                problems.append(f"challenge {challenge_id}: {count} transitions counted, {len(own)} recorded")
            decided = Counter((r[3], r[5]) for r in own if r[5] in (FAILED, PHASE_PASSED, FUNDED))
            twice = [f"{d} from phase {p}" for (p, d), n in decided.items() if n > 1]
            if twice:
                problems.append(f"challenge {challenge_id}: recorded twice: {', '.join(twice)}")
            failed = any(r[5] == FAILED for r in own)
            if failed != (status == FAILED):
                problems.append(f"challenge {challenge_id} is {status} with{'' if failed else 'out'} a failure")
            moves = [r for r in own if r[5] in (PHASE_PASSED, FUNDED) and r[4] is not None]
            if moves and moves[-1][4] != phase:
                problems.append(f"challenge {challenge_id} is in phase {phase}, its transitions lead to {moves[-1][4]}")
        differing = []
        for row in rows:
            record = explain_transition(uow, int(row[0]))
            if record is None or not record["same"]:
                differing.append(int(row[0]))
        if differing:
            problems.append(f"transitions {differing[:10]} do not recompute to the same decision")
    fine = f"{len(rows)} transitions of {len(challenges)} challenges, each once, each recomputed the same"
    return _result(problems, fine)


def payouts_paid_once(database_url: str, server: str, world: Any) -> dict[str, Any]:
    with UnitOfWork(database_url, autocommit=True) as uow:
        # a deal of a failed or rejected payout is released for the next one: at most one other
        shared = uow.fetchall(
            "SELECT d.ticket, count(DISTINCT d.payout_id) FROM payout_deals d JOIN payouts p ON p.id = d.payout_id"
            " WHERE d.server = %s AND p.status NOT IN ('failed', 'rejected')"
            " GROUP BY d.ticket HAVING count(DISTINCT d.payout_id) > 1",
            (server,),
        )
        payouts = uow.fetchall(
            "SELECT p.id, p.status, p.withdrawal_deal FROM payouts p JOIN challenges c ON c.id = p.challenge_id"
            " WHERE c.server = %s",
            (server,),
        )
    status = {int(pid): s for pid, s, _ in payouts}
    recorded = {int(pid): deal for pid, _, deal in payouts}
    with world.lock:
        found = [(d.ticket, m) for d in world.deals.values() if (m := PAYOUT_COMMENT.match(d.comment))]
    withdrawals = Counter(int(m.group(1)) for _, m in found)
    tickets = {int(m.group(1)): ticket for ticket, m in found}
    problems = [f"deal {ticket} in {n} payouts" for ticket, n in shared]
    problems += [f"payout {pid} records deal {recorded[pid]}, MT5 has {tickets[pid]}" for pid in tickets
                 if status.get(pid) == "paid" and recorded.get(pid) is not None and recorded[pid] != tickets[pid]]
    paid = sorted(pid for pid, s in status.items() if s == "paid")
    problems += [f"payout {pid} paid, withdrawn {withdrawals.get(pid, 0)} times on MT5" for pid in paid
                 if withdrawals.get(pid, 0) != 1]
    problems += [f"payout {pid} ({status.get(pid, 'unknown')}) withdrawn {n} times on MT5"
                 for pid, n in sorted(withdrawals.items()) if status.get(pid) != "paid"]
    return _result(problems, f"{len(paid)} payouts paid, each withdrawn once on MT5; no deal in two payouts")


def failed_accounts_closed(database_url: str, server: str, world: Any) -> dict[str, Any]:
    with UnitOfWork(database_url, autocommit=True) as uow:
        failed = [int(r[0]) for r in uow.fetchall(
            "SELECT login FROM challenges WHERE server = %s AND status = %s AND login IS NOT NULL", (server, FAILED)
        )]
    with world.lock:
        open_positions = Counter(p.login for p in world.positions.values())
        trading = [login for login in failed if login in world.accounts and not world.accounts[login].trade_disabled]
    problems = [f"account {login} failed but can trade" for login in trading]
    problems += [f"account {login} failed with {open_positions[login]} open positions" for login in failed
                 if open_positions.get(login)]
    return _result(problems, f"{len(failed)} failed accounts, each disabled and flat on MT5")


def outbox_settled(database_url: str, server: str, now: Any) -> dict[str, Any]:
    with UnitOfWork(database_url, autocommit=True) as uow:
        rows = uow.fetchall(
            f"SELECT command_id, status FROM outbox WHERE server = %s AND {IN_FLIGHT} ORDER BY id",
            (server, now),
        )
        total = uow.fetchone("SELECT count(*) FROM outbox WHERE server = %s", (server,))[0]
    problems = [f"{command_id} {'unanswered' if state == 'sent' else 'unsent'}" for command_id, state in rows]
    return _result(problems, f"{total} commands, every one due sent and answered")


def audit_chain(database_url: str) -> dict[str, Any]:
    from propfirm.store.audit import verify_stored_chain
    from propfirm.store.seals import sealer_from_environment

    report = verify_stored_chain(database_url, sealer_from_environment())
    if report.ok:
        return {"ok": True, "detail": f"{report.rows} rows, the chain whole"}
    return {"ok": False, "detail": f"broken at row {report.broken_id}: {report.problem}"}


def same_decisions(
    truth: Path, programs: dict[str, Program], database_url: str, server: str, poll_window: timedelta
) -> dict[str, Any]:
    from propfirm.local.detection import detection, truth_at

    found = detection(truth, programs, database_url, server)
    false_logins = {f["login"] for f in found["false_list"]}
    drifted = _stale_basis(truth, database_url, server, false_logins, poll_window)
    floors = _live_floors(database_url, server, false_logins - set(drifted))
    problems = [
        f"account {f['login']} failed live at {f['time']}, never crossed in truth ({floors.get(f['login'])}; "
        f"{truth_at(truth, programs, f['login'], datetime.fromisoformat(f['time']))})"
        for f in found["false_list"]
        if f["login"] not in drifted
    ]
    # a maximum-loss floor does not reset: equity that crossed it and never came back must be decided, a
    # poller seeing it at any later cycle. A daily floor is the day's: a crossing late in the day, or on a
    # day-start balance the poller read before the reset's last deals, may go unseen by polling
    problems += [
        f"account {m['login']} crossed its {m['rule']} floor at {m['time']} and stayed through, never decided"
        for m in found["missed_list"]
        if m["lasted_ms"] is None and m["rule"] == MAX_LOSS
    ]
    brief = sum(1 for m in found["missed_list"] if m["lasted_ms"] is not None or m["rule"] != MAX_LOSS)
    known = (
        f"; {len(drifted)} daily-loss failures on a day-start balance the poller read before the reset's last"
        f" deals (a limit of polling, not of a fault: {', '.join(drifted.values())})"
        if drifted
        else ""
    )
    return _result(
        problems,
        f"{found['detected']} of {found['true_breaches']} true breaches decided, none falsely; "
        f"{brief} unseen by polling (brief dips, daily crossings){known}",
    )


def _live_floors(database_url: str, server: str, logins: set[int]) -> dict[int, str]:
    """What the live decision of each login stood on (its reason, equity, limit and daily floor's basis),
    so that a false decision can be looked into from the summary alone."""
    if not logins:
        return {}
    with UnitOfWork(database_url, autocommit=True) as uow:
        rows = uow.fetchall(
            "SELECT c.login, t.reason, t.equity, t.\"limit\", t.evidence -> 'floors' -> 'daily',"
            " t.evidence -> 'snapshot' ->> 'time', c.program_id, t.from_phase FROM phase_transitions t"
            " JOIN challenges c ON c.id = t.challenge_id"
            " WHERE c.server = %s AND c.login = ANY(%s) AND t.decision = 'failed' ORDER BY t.transition_no",
            (server, sorted(logins)),
        )
    out = {}
    for login, reason, equity, limit, daily, snapshot_time, program, phase in rows:
        daily = daily or {}
        out[int(login)] = (
            f"{program} phase {phase}: {reason}, equity {equity}, limit {limit}, snapshot {snapshot_time}; "
            f"daily basis {daily.get('basis')} {daily.get('basis_value')} at {daily.get('reset_at')}, "
            f"day start balance {daily.get('day_start_balance')}"
        )
    return out


def _stale_basis(
    truth: Path, database_url: str, server: str, logins: set[int], poll_window: timedelta
) -> dict[int, str]:
    """Of the live daily-loss failures the truth does not have, those whose day-start basis is a balance (or,
    for an equity basis, an equity) the truth held within `poll_window` before that day's reset: the live
    engine took the figures of the last snapshot before the reset, and deals closed or prices moved between
    that poll and the reset moved the truth's. A basis from further back is no polling limit: it stays a
    problem (login -> why)."""
    import orjson

    if not logins:
        return {}
    with UnitOfWork(database_url, autocommit=True) as uow:
        rows = uow.fetchall(
            "SELECT c.login, t.evidence -> 'floors' -> 'daily' FROM phase_transitions t"
            " JOIN challenges c ON c.id = t.challenge_id"
            " WHERE c.server = %s AND c.login = ANY(%s) AND t.decision = 'failed' AND t.reason = 'daily_loss'",
            (server, sorted(logins)),
        )
    bases = {int(login): daily for login, daily in rows if daily and daily.get("reset_at")}
    resets = {login: datetime.fromisoformat(daily["reset_at"]) for login, daily in bases.items()}
    held: dict[int, set[Decimal]] = {login: set() for login in bases}
    before: dict[int, set[Decimal]] = {}
    with truth.open("rb") as handle:
        for raw in handle:
            if b'"type":"snapshot"' not in raw:
                continue
            line = orjson.loads(raw)
            login = line["login"]
            reset = resets.get(login)
            if reset is None:
                continue
            moment = datetime.fromisoformat(line["time"])
            figures = {Decimal(line["balance"])}
            if bases[login].get("basis") in ("equity", "balance_or_equity"):
                figures.add(Decimal(line["equity"]))
            if moment <= reset - poll_window:
                before[login] = figures
            elif moment <= reset:
                held[login] |= figures
    drifted = {}
    for login, daily in bases.items():
        window = held[login] | before.get(login, set())
        for name in ("basis_value", "day_start_balance"):
            live = daily.get(name)
            if live is not None and Decimal(live) in window and len(window) > 1:
                drifted[login] = f"{login}: day start {live} live, read {poll_window} before the reset"
                break
    return drifted


def check_all(
    *, database_url: str, server: str, world: Any, truth: Path, programs: dict[str, Program], poll_window: timedelta
) -> dict[str, dict[str, Any]]:
    checks = {
        "transitions_once": lambda: transitions_once(database_url, server),
        "payouts_paid_once": lambda: payouts_paid_once(database_url, server, world),
        "failed_accounts_closed": lambda: failed_accounts_closed(database_url, server, world),
        "outbox_settled": lambda: outbox_settled(database_url, server, world.now()),
        "audit_chain": lambda: audit_chain(database_url),
        "same_decisions": lambda: same_decisions(truth, programs, database_url, server, poll_window),
    }
    results = {}
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception as exc:  # a check that cannot run is a failed check, with why
            results[name] = {"ok": False, "detail": f"could not check: {type(exc).__name__}: {exc}"}
    return results
