"""After a blind interval: every account the gap could have hurt is checked against MT5's own record of it,
and what may have been missed is put in front of a risk officer.

The tick path's books (`PriceWatch`) hold each account with open positions as the read before the gap and
the read after it left it, with the server's time of each read. When the poller closes a blind interval,
`GapReviewer.review` reads from MT5 the deals booked between those two reads and the one-minute bars of
every symbol involved (and of the symbols converting their profit currencies), and runs
`propfirm.poller.gap_check` for each account that held a position at the start or traded in the gap. The
review goes two ways: to a capped Redis list (`LiveKeys.gap_reviews`, newest first) that the admin system
page shows at once, and, as `gap_review` messages on the evaluation queue (through the cycle's outbox, so a
crash does not lose them), to PostgreSQL, where each account not clear becomes a gap finding a risk officer
confirms or dismisses (`propfirm.store.gaps`, `/admin/gaps/findings`). Per interval: the accounts checked
and clear, and each one `breached`, `possible` or `unchecked` with its evidence (the minute, the lowest
equity, the floor, the positions held). Nothing is decided here: a breach that happened and recovered inside
the gap goes to review, never applied and never dropped.

What it cannot see it says: a gap that began before this process's first read (a restart) has no read
before it to start from, and an adapter without price history (`Unsupported`) leaves every account
unchecked, each review saying why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
import redis

from propfirm.live.floors import readable_floor
from propfirm.live.records import FloorRecord, parse_utc
from propfirm.mt5.errors import Mt5Error, NotFound, Unsupported
from propfirm.mt5.models import Deal, MinuteBar, SymbolInfo
from propfirm.mt5.port import Mt5Gateway
from propfirm.poller.deals import to_ms
from propfirm.poller.gap_check import (
    TRADES,
    AccountAt,
    GapVerdict,
    GapWindow,
    MinutePrices,
    check_gap,
)
from propfirm.poller.observability import logger
from propfirm.poller.prices import Book, PriceWatch
from propfirm.queues.messages import GapAccount, GapReviewMessage
from propfirm.queues.sqs import Outgoing

KEEP = 100  # reviews kept per poller
BAR_LEAD = timedelta(minutes=30)  # bars read from before the gap: the price standing when it began


@dataclass
class GapReview:
    since: datetime | None  # the read before the gap (server clock, UTC)
    until: datetime | None  # the read after it
    interval: dict[str, Any]  # the blind interval as `propfirm.live.blind` recorded it
    checked: int = 0
    clear: int = 0
    watched: int = 0  # held through a slow cycle the tick path polled through: judged at every poll, not here
    killed: int = 0  # killed by this poller for the floor judged here: the breach was seen and acted on
    verdicts: list[GapVerdict] = field(default_factory=list)  # every account not clear
    reason: str = ""  # why nothing could be checked

    @property
    def to_review(self) -> list[GapVerdict]:
        return [v for v in self.verdicts if v.outcome in ("breached", "possible")]

    def as_json(self) -> dict[str, Any]:
        return {
            "from": None if self.since is None else self.since.isoformat(),
            "to": None if self.until is None else self.until.isoformat(),
            "interval": self.interval,
            "checked": self.checked,
            "clear": self.clear,
            "watched": self.watched,
            "killed": self.killed,
            "breached": sum(v.outcome == "breached" for v in self.verdicts),
            "possible": sum(v.outcome == "possible" for v in self.verdicts),
            "unchecked": sum(v.outcome == "unchecked" for v in self.verdicts),
            "accounts": [v.as_json() for v in self.verdicts],
            "reason": self.reason,
        }


@dataclass
class _Account:
    """One account's part of a gap, read from MT5 and Redis, ready to be judged."""

    start: AccountAt
    end: AccountAt
    floor: FloorRecord | None
    deals: list[Deal]
    currency: str


@dataclass
class GapInputs:
    """Everything a gap's check reads (gathered on the poller's thread, where its MT5 session is); judging
    them is pure CPU (`GapReviewer.finish`, on a thread of its own in the poller)."""

    review: GapReview
    window: GapWindow | None = None
    accounts: list[_Account] = field(default_factory=list)
    gone: list[GapVerdict] = field(default_factory=list)  # accounts MT5 no longer has
    prices: MinutePrices | None = None
    specs: dict[str, SymbolInfo | None] = field(default_factory=dict)
    pairs: dict[tuple[str, str], str | None] = field(default_factory=dict)


class GapReviewer:
    def __init__(
        self,
        *,
        gateway: Mt5Gateway,
        client: redis.Redis,
        key: str,
        groups: Sequence[str],
        floor_key: Callable[[int], str],
        currency_of_login: Callable[[int], str],
        poller: str = "default",
        send: Callable[[list[Outgoing]], None] | None = None,
        max_message_bytes: int = 60_000,
    ) -> None:
        self.gateway = gateway
        self.poller = poller
        self.send = send  # hands the review's messages to the cycle's outbox (None: Redis only)
        self.max_message_bytes = max_message_bytes
        self.client = client
        self.key = key
        self.groups = list(groups)
        self.floor_key = floor_key
        self.currency_of_login = currency_of_login

    def review(self, interval: dict[str, Any], watch: PriceWatch, watched: bool = False) -> GapReview:
        """Gather and judge at once (tests, and callers without a thread for it)."""
        return self.finish(self.gather(interval, watch, watched))

    def gather(self, interval: dict[str, Any], watch: PriceWatch, watched: bool = False) -> GapInputs:
        """The reads: the deals between the reads around the gap, the bars, the specifications, and what the
        books do not hold (the balance after the gap of an account flat then, the floor of one flat before).

        An account this poller killed for the floor it would be judged against is left out and counted as
        `killed`: its breach was seen and acted on, and the evaluator has the kill.

        `watched`: the tick path polled all through the gap (a slow cycle, `Poller._watched_throughout`), so
        an account whose book it held and could judge to the gap's end, with no deal in the gap, was judged
        at every poll: counted as watched, not checked again. An account that traded or had a balance
        operation in the gap held what the tick path's book did not, and is checked."""
        with watch.lock:
            before, start = dict(watch.previous_books), watch.previous_read
            after, end = dict(watch.books), watch.last_read
        inputs = GapInputs(GapReview(start and start[0], end and end[0], interval))
        if start is None or end is None:
            inputs.review.reason = "no read before the gap in this poller's run (it began with a restart)"
            return inputs
        inputs.window = GapWindow(start[0], start[1], end[0], end[1])
        try:
            self._gather(inputs, inputs.window, before, after, watch, watched)
        except Unsupported as exc:
            inputs.review.reason = f"MT5 gives no price history here: {exc}"
        except Mt5Error as exc:  # MT5 away again: the gap stays recorded, unchecked, with why
            inputs.review.reason = f"MT5's record of the gap could not be read: {type(exc).__name__}: {exc}"[:300]
        if inputs.review.reason:
            inputs.accounts, inputs.gone = [], []
        return inputs

    def _gather(self, inputs: GapInputs, window: GapWindow, before: dict[int, Book], after: dict[int, Book],
                watch: PriceWatch, watched: bool) -> None:
        deals: dict[int, list[Deal]] = {}
        for deal in self.gateway.deals(self.groups, window.since, window.until_reads_end):
            deals.setdefault(deal.login, []).append(deal)
        traded = {login for login, booked in deals.items() if any(d.action in TRADES for d in booked)}
        held: set[int] = set()
        if watched:
            with watch.lock:  # its books and memory are the tick thread's
                held = watch.watched_through(before, window.until_reads_end) - deals.keys()
            inputs.review.watched = len(held)
        logins = sorted((set(before) - held) | traded)
        symbols = {p.symbol for login in logins for book in (before.get(login), after.get(login)) if book
                   for p in book.positions}
        symbols |= {d.symbol for login in logins for d in deals.get(login, ()) if d.action in TRADES}
        currencies = {login: self._currency(login, before.get(login) or after.get(login)) for login in logins}
        with watch.lock:  # the watch's MT5 session and caches are shared with the tick thread
            watch.load_specs(symbols)
            specs = dict(watch.specs)
            inputs.pairs = {(spec.currency_profit, currency): watch.converter(spec.currency_profit, currency)
                            for currency in set(currencies.values()) for symbol in symbols
                            if (spec := specs.get(symbol)) is not None}
            inputs.specs = dict(watch.specs)  # with the converting symbols the pairs loaded
        converting = {c for c in inputs.pairs.values() if c}
        inputs.prices = MinutePrices(self._bars(symbols | converting, window.since, window.until))
        flat = [login for login in logins if login not in before]  # their floors are not in the books
        floors: dict[int, bytes | str | None] = {}
        if flat:
            floors = dict(zip(flat, self.client.mget([self.floor_key(login) for login in flat]), strict=True))
        for login in logins:
            start_book = before.get(login)
            floor = start_book.floor if start_book is not None else readable_floor(floors.get(login))
            if floor is not None and watch.kill_switch.killed_for(login, floor):
                inputs.review.killed += 1  # its crossing of this floor was seen: killed, the evaluator told
                continue  # (and no read of a killed account, flat after the gap, from MT5)
            account = self._account(login, start_book, after.get(login), deals.get(login, []), window,
                                    currencies[login], floor)
            if isinstance(account, GapVerdict):
                inputs.gone.append(account)
            else:
                inputs.accounts.append(account)

    def finish(self, inputs: GapInputs) -> GapReview:
        """Judge every account gathered (pure), then record the review."""
        review = inputs.review
        if inputs.window is not None and inputs.prices is not None:
            pairs = inputs.pairs

            def converter(source: str, target: str) -> str | None:
                return pairs.get((source, target))

            for a in inputs.accounts:
                verdict = check_gap(a.start, a.end, a.floor, a.deals, inputs.window, inputs.prices, inputs.specs,
                                    a.currency, converter)
                review.checked += 1
                if verdict.outcome == "clear":
                    review.clear += 1
                else:
                    review.verdicts.append(verdict)
            review.checked += len(inputs.gone)
            review.verdicts.extend(inputs.gone)
        self._record(review)
        return review

    def _currency(self, login: int, book: Book | None) -> str:
        return book.currency if book is not None else self.currency_of_login(login)

    def _account(self, login: int, start_book: Book | None, end_book: Book | None, deals: list[Deal],
                 window: GapWindow, currency: str, floor: FloorRecord | None) -> _Account | GapVerdict:
        """`floor`: the one in force at the gap's start (its book's, or the stored one of an account flat then)."""
        if end_book is not None:
            end = AccountAt(login, end_book.base, end_book.positions)
        else:
            try:
                state = self.gateway.account_state(login)
            except NotFound:
                return GapVerdict(login, "unchecked", reason="the account is gone from MT5")
            end = AccountAt(login, state.balance + state.credit, ())
        if start_book is not None:
            start = AccountAt(login, start_book.base, start_book.positions)
        else:  # flat at the start: its balance then is the balance after, less what the gap's deals booked
            booked = sum((d.profit + d.commission + d.storage for d in deals
                          if window.since < d.time <= window.until), Decimal(0))
            start = AccountAt(login, end.base - booked, ())
        return _Account(start, end, floor, deals, currency)

    def _bars(self, symbols: set[str], since: datetime, until: datetime) -> dict[str, list[MinuteBar]]:
        bars: dict[str, list[MinuteBar]] = {}
        for symbol in sorted(symbols):
            try:
                bars[symbol] = self.gateway.minute_bars(symbol, since - BAR_LEAD, until)
            except NotFound:
                bars[symbol] = []
        return bars

    def _record(self, review: GapReview) -> None:
        for verdict in review.to_review:
            logger.warning("blind interval: the account may have crossed its floor unseen", login=verdict.login,
                           outcome=verdict.outcome, lowest=str(verdict.lowest), floor=str(verdict.floor),
                           at=None if verdict.at is None else verdict.at.isoformat())
        if self.send is not None:  # first: the durable record does not wait on the live view
            self.send(review_messages(review, self.gateway.server, self.poller, self.max_message_bytes))
        pipe = self.client.pipeline(transaction=False)
        pipe.lpush(self.key, orjson.dumps(review.as_json()))
        pipe.ltrim(self.key, 0, KEEP - 1)
        pipe.execute()


def review_messages(review: GapReview, server: str, poller: str, max_bytes: int = 60_000) -> list[Outgoing]:
    """The review as `gap_review` messages: the interval and its counts in each, the accounts not clear
    shared out so that no message passes `max_bytes` (SQS takes 256 KiB; thousands of accounts may be
    unchecked after a long outage). An interval with none not clear is one message all the same: the record
    that it was checked."""
    interval = review.interval
    blind_from = parse_utc(interval["from"])
    header = GapReviewMessage(
        server=server,
        poller=poller,
        blind_from=blind_from,
        blind_to=parse_utc(interval["to"]),
        cause=str(interval.get("cause", ""))[:300],
        failed_cycles=int(interval.get("failed_cycles", 0)),
        read_before=review.since,
        read_after=review.until,
        checked=review.checked,
        clear=review.clear,
        watched=review.watched,
        killed=review.killed,
        reason=review.reason,
    )
    budget = max(1_000, max_bytes - len(header.model_dump_json()) - 64)
    parts: list[list[GapAccount]] = [[]]
    used = 0
    for verdict in review.verdicts:
        account = GapAccount.model_validate(verdict.as_json())
        size = len(account.model_dump_json()) + 1
        if parts[-1] and used + size > budget:
            parts.append([])
            used = 0
        parts[-1].append(account)
        used += size
    group, start = f"{server}:gaps", to_ms(blind_from)
    return [
        Outgoing(
            body=header.model_copy(update={"part": n, "parts": len(parts), "accounts": accounts}).model_dump_json(),
            group_id=group,
            dedup_id=f"{server}:gap:{poller}:{start}:{n}",
        )
        for n, accounts in enumerate(parts)
    ]


def recent(client: redis.Redis, key: str, count: int = 10) -> list[dict[str, Any]]:
    """The newest reviews recorded under `key`."""
    return [orjson.loads(raw) for raw in client.lrange(key, 0, count - 1)]
