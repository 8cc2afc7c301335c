"""Where traders sign in from: a trader's request records its address and device (once an hour per
container), staff's requests record nothing, and a failing store never fails the request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from propfirm.api.auth import principal_from_claims
from propfirm.api.sightings import SightingRecorder, device_of

from tests.integration.api.conftest import Api, claims, new_login
from tests.integration.api.test_handler import email

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"


def _sightings(api: Api, who: str) -> list[tuple]:
    return api.rows(
        "SELECT host(s.address), s.device, s.device_label FROM trader_sightings s JOIN traders t"
        " ON t.id = s.trader_id WHERE t.email = %s", (who,))


def test_a_traders_request_records_the_address_and_device_and_staffs_do_not(api: Api) -> None:
    trader = email()
    api.account_challenge(trader, new_login())
    status, _, _ = api.call("GET", "/challenges", claims=claims("trader", trader), headers={"User-Agent": FIREFOX})
    assert status == 200
    assert _sightings(api, trader) == [("127.0.0.1", device_of(FIREFOX), FIREFOX)]
    staff = "admin-seen@example.com"
    assert api.call("GET", "/admin/accounts", claims=claims("admin", staff))[0] == 200
    assert _sightings(api, staff) == []


def test_once_an_hour_per_address_and_device_and_never_a_failed_request(api: Api) -> None:
    trader = email()
    api.account_challenge(trader, new_login())
    event = {"requestContext": {"identity": {"sourceIp": "203.0.113.9", "userAgent": FIREFOX}}}
    who = principal_from_claims(claims("trader", trader))
    ticks = [0.0]
    now = [datetime(2026, 3, 2, 10, tzinfo=UTC)]
    recorder = SightingRecorder(monotonic=lambda: ticks[0])

    def last_seen() -> datetime:
        return api.rows("SELECT max(s.last_seen) FROM trader_sightings s JOIN traders t ON t.id = s.trader_id"
                        " WHERE t.email = %s", (trader,))[0][0]

    recorder.seen(event, who, api.runtime.uow, lambda: now[0])
    first = last_seen()
    ticks[0], now[0] = 1800.0, now[0] + timedelta(minutes=30)
    recorder.seen(event, who, api.runtime.uow, lambda: now[0])
    assert last_seen() == first  # within the hour: not written again
    ticks[0], now[0] = 3600.0, now[0] + timedelta(minutes=30)
    recorder.seen(event, who, api.runtime.uow, lambda: now[0])
    assert last_seen() == first + timedelta(hours=1)

    def broken():
        raise RuntimeError("database away")

    ticks[0] = 7200.0
    recorder.seen(event, who, broken, lambda: now[0])  # logged, not raised
    recorder.seen({"requestContext": {"identity": {"sourceIp": "not an address"}}}, who, broken, lambda: now[0])
