"""The evaluator's Redis writes: a message's caches in one script call sent as EVALSHA, with no SCRIPT EXISTS
round trip before it; a Redis that lost its scripts gets the script loaded and the write done again."""

from __future__ import annotations

from datetime import timedelta

import redis
from propfirm.evaluation.live import CachedChallenge

from tests.instants import MONDAY_JANUARY

T0 = MONDAY_JANUARY


def _commands_during(rig, action) -> list[str]:
    """The commands Redis saw from the evaluator's process while `action` ran (MONITOR on its own link)."""
    seen: list[str] = []
    with rig.redis.monitor() as monitor:
        action()
        rig.redis.ping()  # a marker: everything before it was the action's
        for entry in monitor.listen():
            command = entry["command"]
            if command.startswith("PING"):
                break
            seen.append(command.split(" ", 1)[0].upper())
    return seen


def test_the_caches_are_written_by_evalsha_without_asking_whether_the_script_exists(rig) -> None:
    rig.register(9101, T0)
    rig.snapshot(9101, T0 + timedelta(minutes=1), "100000", "100000")
    rig.evaluator.handle(rig.message([9101], T0 + timedelta(minutes=1)))  # first: loads what it needs
    rig.snapshot(9101, T0 + timedelta(minutes=2), "100000", "99990", [("EURUSD", "1.00", "buy")])
    seen = _commands_during(rig, lambda: rig.evaluator.handle(rig.message([9101], T0 + timedelta(minutes=2))))
    assert "EVALSHA" in seen and "SCRIPT" not in seen, seen


def test_a_redis_that_lost_its_scripts_gets_the_write_all_the_same(rig) -> None:
    rig.register(9102, T0)
    rig.snapshot(9102, T0 + timedelta(minutes=1), "100000", "100000")
    rig.evaluator.handle(rig.message([9102], T0 + timedelta(minutes=1)))
    rig.redis.script_flush()  # as after a restart or a failover
    rig.snapshot(9102, T0 + timedelta(minutes=2), "100000", "99980", [("EURUSD", "1.00", "buy")])
    rig.evaluator.handle(rig.message([9102], T0 + timedelta(minutes=2)))
    cached = CachedChallenge.decode(rig.redis.get(rig.keys.state(rig.server, 9102)))
    assert cached is not None
    assert cached.challenge_state().last_snapshot_at == T0 + timedelta(minutes=2)


def test_a_snapshot_whose_amount_is_no_decimal_is_skipped_and_the_messages_other_accounts_are_judged(rig) -> None:
    """decimal's InvalidOperation is no ValueError: the snapshot reader turns it into one, so the account is
    judged again with its next good snapshot instead of the whole message failing."""
    for login in (9103, 9104):
        rig.register(login, T0)
        rig.snapshot(login, T0 + timedelta(minutes=1), "100000", "99990")
    key = rig.keys.snap(rig.server, 9103)
    rig.redis.set(key, rig.redis.get(key).replace(b'"equity":"99990"', b'"equity":"99,990"'))
    report = rig.evaluator.handle(rig.message([9103, 9104], T0 + timedelta(minutes=1)))
    assert report.judged == 1
    judged = CachedChallenge.decode(rig.redis.get(rig.keys.state(rig.server, 9104)))
    assert judged is not None and judged.challenge_state().equity == 99990


def test_a_connection_dropped_under_a_packed_command_is_sent_again_through_redis_py(rig, monkeypatch) -> None:
    """The reads and the caches' write are packed by hiredis and sent on a pooled connection; a connection
    lost there is closed and the command goes again by redis-py's own call (with the client's retries)."""
    rig.register(9105, T0)
    rig.snapshot(9105, T0 + timedelta(minutes=1), "100000", "99990")
    rig.evaluator.handle(rig.message([9105], T0 + timedelta(minutes=1)))
    live = rig.evaluator.live
    sent = rig.redis.connection_pool.connection_class.send_packed_command
    dropped: list[object] = []

    def drop_once(connection, command, check_health=True):
        if not dropped:
            dropped.append(connection)
            raise redis.exceptions.ConnectionError("Connection reset by peer (injected)")
        return sent(connection, command, check_health)

    monkeypatch.setattr(rig.redis.connection_pool.connection_class, "send_packed_command", drop_once)
    read = live.read(rig.server, [9105])
    assert dropped and read[9105].snapshot is not None and read[9105].snapshot.equity == 99990
    assert read[9105].cached is not None and read[9105].cached.challenge_state().equity == 99990
    monkeypatch.undo()
    rig.snapshot(9105, T0 + timedelta(minutes=2), "100000", "99970")
    dropped.clear()
    monkeypatch.setattr(rig.redis.connection_pool.connection_class, "send_packed_command", drop_once)
    rig.evaluator.handle(rig.message([9105], T0 + timedelta(minutes=2)))  # its first command dropped
    cached = CachedChallenge.decode(rig.redis.get(rig.keys.state(rig.server, 9105)))
    assert dropped and cached is not None and cached.challenge_state().equity == 99970
