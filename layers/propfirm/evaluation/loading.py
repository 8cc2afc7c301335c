"""Loading: the accounts a message names (cache or PostgreSQL), and its deals not stored yet, classified."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from propfirm.domain import engine
from propfirm.domain.state import ChallengeState
from propfirm.evaluation.accounts import Account
from propfirm.evaluation.deals import ClassifiedDeal, classify, is_balance_like
from propfirm.evaluation.live import AccountLive, CachedChallenge
from propfirm.queues.messages import EvaluationMessage
from propfirm.store.challenges import ChallengeRecord, ChallengeVersion
from propfirm.store.deals import DealRow
from propfirm.store.uow import UnitOfWork


class AccountLoader:
    """Reads the accounts a message names: from the cache where it is current, else from PostgreSQL."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], clock: Callable[[], datetime],
                 save_every_snapshots: int) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.save_every_snapshots = save_every_snapshots  # a new challenge is saved by its first message

    def load(
        self,
        message: EvaluationMessage,
        logins: list[int],
        live: dict[int, AccountLive],
        known: dict[int, ChallengeVersion] | None,
    ) -> tuple[dict[int, Account], dict[int, list[ClassifiedDeal]], dict[int, list[DealRow]]]:
        """Reads only (autocommit: no BEGIN/COMMIT round trips): the accounts, and the message's deals not
        stored yet, classified, with their rows. A deal is stored in the transaction that saves the state
        which applied it, so a stored deal has been applied: a redelivered or repeated deal is not judged
        twice, and one whose state was never saved (a crash) is judged again."""
        server = message.server
        accounts: dict[int, Account] = {}
        with self.uow_factory().autocommitting() as uow:
            versions = known if known is not None else uow.challenges.versions(server, logins)
            stale = [
                v.id
                for login, v in versions.items()
                if (cache := live[login].cached) is None or cache.version != v.version or cache.challenge_id != v.id
            ]
            records = uow.challenges.many(stale) if stale else {}
            for login, v in versions.items():
                cached = live[login].cached
                if v.id in records:
                    accounts[login] = self.from_record(records[v.id], uow, message.time, cached)
                elif cached is not None:
                    accounts[login] = self.from_cache(login, cached, uow)
            classified: dict[int, list[ClassifiedDeal]] = {}
            rows: dict[int, list[DealRow]] = {}
            if not message.deals:
                return accounts, classified, rows
            stored = uow.deals.stored(server, sorted({deal.ticket for deal in message.deals}))
            fresh, seen = [], set(stored)
            for deal in message.deals:
                if deal.ticket not in seen:
                    seen.add(deal.ticket)
                    fresh.append(deal)
            system: dict[tuple[int, str], str] = {}
            funding: set[int] = set()
            balance_deals = [deal for deal in fresh if is_balance_like(deal)]
            if balance_deals:
                with_balance = sorted({deal.login for deal in balance_deals})
                system = uow.outbox.system_comments(
                    server, with_balance, sorted({x.comment for x in balance_deals})
                )
                funding = uow.outbox.funding_deals(server, with_balance)
        for deal in fresh:
            challenge = versions.get(deal.login)
            c = classify(deal, system, funding)
            classified.setdefault(deal.login, []).append(c)
            rows.setdefault(deal.login, []).append(
                DealRow(
                    server,
                    deal.ticket,
                    deal.login,
                    challenge.id if challenge else None,
                    deal.time,
                    deal.action,
                    deal.entry,
                    deal.symbol,
                    deal.volume,
                    deal.price,
                    deal.profit,
                    deal.commission,
                    deal.swap,
                    deal.position,
                    deal.order,
                    deal.comment,
                    c.role,
                    deal.value,
                )
            )
        return accounts, classified, rows

    def from_record(
        self,
        record: ChallengeRecord,
        uow: UnitOfWork,
        start_time: datetime | None = None,
        stale: CachedChallenge | None = None,
    ) -> Account:
        program = uow.programs.get(record.program_id, record.program_version)
        assert record.login is not None
        unsaved = 0
        if record.state is None:
            # a challenge created before its MT5 account (a purchase): it starts with its first evaluation
            state = engine.new_challenge(program, record.login, start_time or self.clock(), record.server)
            if record.phase:
                state = engine.begin_phase(program, state, record.phase, state.phase_started_at)
            unsaved = self.save_every_snapshots  # saved by this message
        else:
            state = ChallengeState.from_dict(record.state)
        # what an outdated cache knew of the published floor and the last equity point still holds
        same = stale is not None and stale.challenge_id == record.id
        return Account(
            record.login,
            record.id,
            record.version,
            record.transitions,
            record.program_id,
            record.program_version,
            program,
            state,
            unsaved,
            stale.floor if same else None,  # type: ignore[union-attr]
            stale.point if same else None,  # type: ignore[union-attr]
            record.awaiting_reset,
            record.pending_kill,
        )

    def from_cache(self, login: int, cached: CachedChallenge, uow: UnitOfWork) -> Account:
        program = uow.programs.get(cached.program_id, cached.program_version)
        state = cached.challenge_state()
        # the transition count is read FOR UPDATE when a decision is recorded
        return Account(
            login,
            cached.challenge_id,
            cached.version,
            -1,
            cached.program_id,
            cached.program_version,
            program,
            state,
            cached.unsaved,
            cached.floor,
            cached.point,
            cached.awaiting_reset,
            cached.pending_kill,
            cached.state,
        )
