"""A recorded transition explained: read back from PostgreSQL, recomputed from its stored inputs, checked
(decision, reason, equity, limit and the inputs' SHA-256), and put into words. `propfirm explain` and the
API's explanation routes both call `explain_transition`; the words come from `text.describe`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from propfirm.domain.decisions import EXPOSURE_CAP, MAX_LOTS, MAX_POSITIONS
from propfirm.domain.events import Position, Snapshot
from propfirm.domain.money import pct_of
from propfirm.domain.programs import Program
from propfirm.domain.rules import compiled
from propfirm.explain.attribution import as_json
from propfirm.explain.inputs import digest
from propfirm.explain.recompute import InputsError, Recomputed, differences, recompute
from propfirm.explain.text import describe
from propfirm.store.uow import UnitOfWork

_TRANSITION = (
    "SELECT t.id, t.challenge_id, t.transition_no, t.decision, t.reason, t.equity, t.\"limit\", t.decided_at,"
    " t.evidence, c.server, c.login, c.program_id, c.program_version"
    " FROM phase_transitions t JOIN challenges c ON c.id = t.challenge_id WHERE t.id = %s"
)


def explain_transition(uow: UnitOfWork, transition_id: int) -> dict[str, Any] | None:
    """The explanation of one transition (see the design's ▶ Explanations), or None for an unknown id."""
    row = uow.fetchone(_TRANSITION, (transition_id,))
    if row is None:
        return None
    (tid, challenge_id, number, decision, reason, equity, limit, decided_at, evidence, server, login,
     program_id, program_version) = row
    stored = {"decision": decision, "reason": reason, "equity": equity, "limit": limit}
    program_ref = evidence.get("program") or {"id": program_id, "version": program_version}
    program = uow.programs.get(program_ref["id"], int(program_ref["version"]))
    zone = ZoneInfo(program.day_reset.zone)
    out: dict[str, Any] = {
        "transition_id": tid,
        "challenge_id": challenge_id,
        "transition_no": number,
        "server": server,
        "login": login,
        "decision": decision,
        "reason": reason,
        "phase": evidence.get("phase"),
        "equity": str(equity),
        "limit": None if limit is None else str(limit),
        "decided_at": decided_at.isoformat(),
        "local_time": decided_at.astimezone(zone).isoformat(),
        "zone": program.day_reset.zone,
        "program": {"id": program.id, "version": int(program_ref["version"])},
        "currency": program.currency,
        "manual": bool(evidence.get("manual")),
        "replayed": False,
        "same": False,
        "differences": [],
        "inputs_sha256": None,
        "attribution": None,
        "floors": evidence.get("floors"),
        "positions": (evidence.get("snapshot") or {}).get("positions"),
        "snapshot": evidence.get("snapshot"),
        "facts": {},
    }
    if out["manual"]:
        # an operator's decision: nothing to recompute; the record names who and why
        out.update(same=True, operator=evidence.get("operator"), note=evidence.get("reason"))
        out["text"] = describe(out)
        return out
    if evidence.get("abuse"):
        # an abuse finding's restriction (the program says restrict): the finding holds the evidence
        out.update(same=True, abuse=evidence["abuse"])
        out["text"] = describe(out)
        return out
    inputs = evidence.get("inputs")
    if inputs is None:
        out["differences"] = ["inputs: not stored with this transition (recorded before inputs were kept)"]
        out["text"] = describe(out)
        return out
    out["inputs_sha256"] = digest(inputs)
    if evidence.get("inputs_sha256") != out["inputs_sha256"]:
        out["differences"].append(
            f"inputs_sha256: stored {evidence.get('inputs_sha256')}, computed {out['inputs_sha256']}"
        )
    try:
        replayed = recompute(program, inputs)
    except InputsError as exc:
        out["differences"].append(f"inputs: {exc}")
        out["text"] = describe(out)
        return out
    out["replayed"] = True
    out["differences"] += differences(stored, replayed.decision)
    out["same"] = not out["differences"]
    out["attribution"] = as_json(replayed.attribution())
    if replayed.decision is not None:
        out["floors"] = replayed.floors(program)
        out["phase"] = replayed.decision.phase
    out["facts"] = _facts(program, replayed)
    out["text"] = describe(out)
    return out


def _facts(program: Program, replayed: Recomputed) -> dict[str, Any]:
    """What the words need beyond the floors: the phase's targets and the state the decision met."""
    phase = program.phases[replayed.phase_index]
    state = replayed.judged
    event = replayed.event
    facts: dict[str, Any] = {
        "account_size": str(program.account_size),
        "balance": str(event.balance if isinstance(event, Snapshot) else state.balance),
        "trading_days": state.trading_days,
        "min_trading_days": phase.min_trading_days,
        "profit_target_pct": None if phase.profit_target_pct is None else str(phase.profit_target_pct),
        "profit_target_amount": None if phase.profit_target_amount is None else str(phase.profit_target_amount),
        "daily_profit_cap": None if phase.daily_profit_cap_pct is None
        else str(pct_of(phase.target_profit(program.account_size) or Decimal(0), phase.daily_profit_cap_pct)),
        "min_profitable_days": phase.min_profitable_days,
        "profitable_days": state.profitable_days,
        "max_days": phase.max_days,
        "inactivity_days": phase.inactivity_days,
        "max_lots": None if phase.max_lots is None else str(phase.max_lots),
        "max_positions": phase.max_positions,
        "news_blackout_minutes": None if phase.news_blackout_minutes is None else str(phase.news_blackout_minutes),
        "consistency_pct": None if phase.consistency_pct is None else str(phase.consistency_pct),
        "consistency_basis": phase.consistency_basis,
        "best_day_profit": str(state.best_day_profit),
        "phase_started_at": state.phase_started_at.isoformat(),
        "last_deal_at": state.last_deal_at.isoformat(),
        "deadline": None if state.deadline is None else state.deadline.isoformat(),
        "next_reset": state.next_reset.isoformat(),
        "previous_check": None if replayed.before.last_snapshot_at is None
        else replayed.before.last_snapshot_at.isoformat(),
        "previous_equity": str(replayed.before.equity),
    }
    if isinstance(event, Snapshot) and event.positions is not None and replayed.decision is not None:
        if replayed.decision.reason in (MAX_LOTS, MAX_POSITIONS):
            facts["open_lots"] = str(sum((p.volume for p in event.positions), Decimal(0)))
            facts["open_positions"] = len(event.positions)
        if replayed.decision.reason == EXPOSURE_CAP:
            facts["exposure_caps"] = _broken_caps(program, replayed.phase_index, event.positions)
    return facts


def _broken_caps(program: Program, index: int, positions: tuple[Position, ...]) -> list[dict[str, Any]]:
    """Each exposure cap the positions break: its name, what it allows, what they held in it."""
    rules = compiled(program).phases[index]
    return [
        {"name": name, "symbols": list(patterns), "by": "value" if by_value else "lots", "limit": str(limit),
         "held": str(held)}
        for held, (name, patterns, limit, by_value) in zip(
            rules.exposure_held(positions), rules.exposure_caps, strict=True
        )
        if held > limit
    ]
