"""Where a trader's requests come from: the address API Gateway saw (`requestContext.identity.sourceIp`) and
a digest of the User-Agent, recorded for the abuse scan (`propfirm.abuse.owners`), at most once an hour per
trader, address and device in a container. Recording never fails a request: an error is logged."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from propfirm.api.auth import TRADER, Principal
from propfirm.store.sightings import SightingStore
from propfirm.store.uow import UnitOfWork

log = logging.getLogger("propfirm.api")

EVERY_SECONDS = 3600.0
MAX_REMEMBERED = 10_000


def device_of(user_agent: str) -> str:
    return hashlib.sha256(user_agent.encode()).hexdigest()[:16] if user_agent else ""


def _source(event: Mapping[str, Any]) -> tuple[str, str] | None:
    context = event.get("requestContext")
    identity = context.get("identity") if isinstance(context, Mapping) else None
    if not isinstance(identity, Mapping):
        return None
    address = identity.get("sourceIp")
    try:
        ipaddress.ip_address(str(address))
    except ValueError:
        return None
    return str(address), str(identity.get("userAgent") or "")


class SightingRecorder:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.monotonic = monotonic
        self._recorded: dict[tuple[str, str, str], float] = {}

    def seen(
        self, event: Mapping[str, Any], who: Principal, uow: Callable[[], UnitOfWork], clock: Callable[[], datetime]
    ) -> None:
        if not who.has(TRADER):
            return
        source = _source(event)
        if source is None:
            return
        address, user_agent = source
        key = (who.sub, address, device_of(user_agent))
        now = self.monotonic()
        last = self._recorded.get(key)
        if last is not None and now - last < EVERY_SECONDS:
            return
        if len(self._recorded) >= MAX_REMEMBERED:
            self._recorded.clear()
        self._recorded[key] = now
        try:
            with uow() as unit:
                SightingStore(unit).record(who.sub, address, key[2], user_agent, clock())
                unit.commit()
        except Exception:  # noqa: BLE001 - a sighting is evidence, never a reason to fail the request
            log.exception("could not record where a trader signed in from")


RECORDER = SightingRecorder()
