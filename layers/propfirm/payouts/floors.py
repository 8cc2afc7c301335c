"""The account's equity floor in Redis around a payout's withdrawal (a risk rule).

A withdrawal lowers the balance, and the rule engine moves the day's floor down by the operation's
amount (the maximum-loss floor stays where it is). The floor the poller's fast path reads was computed
before the withdrawal: left as it is, the fast path would compare the lowered equity with the old,
higher floor and could kill a healthy account.

So before the withdrawal can be sent, `before_withdrawal` takes the old floor out of the fast path's way:
it replaces the key by the same floor lowered by the withdrawal's amount (same version and expiry), and
deletes the key when it cannot (a missing floor never kills). The lowered floor is never above the true
one, before the withdrawal (old − amount < old) or after it (old − amount ≤ max(daily − amount, maximum
loss)); and because it is not the evaluator's own, unchanged floor, the evaluator does not write its
stale value back over it: it replaces it when its own floor changes (once it has judged the withdrawal's
deal, or at the next reset, when the record expires anyway). Merely deleting the key would let the next
evaluation (which sees the key missing) republish the pre-withdrawal floor before the withdrawal's deal
reaches the evaluator. `after_failed_withdrawal` deletes the lowered key, so the evaluator renews the
true (unchanged) floor on its next evaluation.
"""

from __future__ import annotations

import dataclasses
import logging
from decimal import Decimal

import redis

from propfirm.live.floors import delete_floor
from propfirm.live.holds import HOLD_TTL_SECONDS, FloorHold
from propfirm.live.keys import LiveKeys
from propfirm.live.records import FloorRecord

log = logging.getLogger("propfirm.payouts")

LOWERED = "lowered"  # the key holds the floor lowered by the withdrawal
DELETED = "deleted"  # the key was removed (it held something that could not be lowered)
ABSENT = "absent"  # there was no floor


def before_withdrawal(
    client: redis.Redis,
    keys: LiveKeys,
    server: str,
    login: int,
    amount: Decimal,
    attempts: int = 5,
    comment: str | None = None,
) -> str:
    """Lower the account's floor by `amount` (atomically: WATCH, then MULTI), or delete it; with the
    deal's `comment`, also leave a floor hold so that the evaluator's next floors allow for the withdrawal
    until it has judged the deal (`propfirm.live.holds`)."""
    key = keys.floor(server, login)
    if comment is not None:
        client.set(keys.floor_hold(server, login), FloorHold(amount, comment).encode(), ex=HOLD_TTL_SECONDS)
    for _ in range(attempts):
        with client.pipeline() as pipe:
            try:
                pipe.watch(key)
                raw = pipe.get(key)
                if raw is None:
                    pipe.unwatch()
                    return ABSENT
                try:
                    floor = FloorRecord.decode(raw)
                except (KeyError, TypeError, ValueError):
                    pipe.multi()
                    pipe.delete(key)
                    pipe.execute()
                    return DELETED
                lowered = dataclasses.replace(floor, level=floor.level - amount)
                pipe.multi()
                pipe.set(key, lowered.encode(), keepttl=True)  # expires when the floor it lowers would
                pipe.execute()
                return LOWERED
            except redis.WatchError:
                continue  # the evaluator wrote meanwhile: lower its new floor instead
    delete_floor(client, keys, server, login)
    return DELETED


def after_failed_withdrawal(client: redis.Redis, keys: LiveKeys, server: str, login: int) -> None:
    """The withdrawal did not happen: drop its hold and let the evaluator renew the true floor."""
    client.delete(keys.floor_hold(server, login))
    delete_floor(client, keys, server, login)
