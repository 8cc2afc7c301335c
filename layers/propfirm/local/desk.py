"""The scripted trader desk: funded traders asking for their payouts through the API, over HTTP.

Each step looks at a few of the run's funded, active challenges without an open payout (in turn), and
for each one, as its trader (a bearer token minted for the trader's recorded sub, as `propfirm token
--role trader --email E` does):
`GET /challenges/{id}/payouts/eligibility`, and when it says eligible, `POST /challenges/{id}/payouts`.
Refusals (422 not eligible, 409 a payout already open) are normal: the trader asks again later.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

import httpx

from propfirm.domain.roles import Role
from propfirm.store.uow import UnitOfWork

log = logging.getLogger("propfirm.dev")

_CANDIDATES = """
SELECT c.id, t.email, t.sub
  FROM challenges c
  JOIN traders t ON t.id = c.trader_id
  JOIN programs p ON p.id = c.program_id AND p.version = c.program_version
 WHERE c.server = %s AND c.status = 'active'
   AND coalesce((p.definition -> 'phases' -> c.phase ->> 'funded')::boolean, false)
   AND NOT EXISTS (SELECT 1 FROM payouts o WHERE o.challenge_id = c.id
                    AND o.status IN ('requested', 'awaiting_approval', 'approved', 'withdrawing'))
 ORDER BY c.id
"""


class TraderDesk:
    def __init__(self, api_url: str, database_url: str, server: str, per_step: int = 5) -> None:
        self.http = httpx.Client(base_url=api_url, timeout=10)
        self.database_url = database_url
        self.server = server
        self.per_step = per_step
        self.responses: Counter[str] = Counter()  # "eligibility 200", "request 201", ...
        self._tokens: dict[str, str] = {}
        self._turn = 0

    def _token(self, email: str, sub: str) -> str:
        from propfirm.api.tokens import mint

        if sub not in self._tokens:
            self._tokens[sub] = mint(Role.TRADER, email=email, sub=sub, ttl=24 * 3600)
        return self._tokens[sub]

    def step(self) -> int:
        """Ask for the next few challenges; returns the number of payouts requested."""
        with UnitOfWork(self.database_url) as uow:
            candidates = uow.fetchall(_CANDIDATES, (self.server,))
        if not candidates:
            return 0
        start = self._turn % len(candidates)
        chosen = (candidates[start:] + candidates[:start])[: self.per_step]
        self._turn = start + len(chosen)
        requested = 0
        for challenge_id, email, sub in chosen:
            requested += self._ask(int(challenge_id), email, sub)
        return requested

    def _ask(self, challenge_id: int, email: str, sub: str) -> int:
        headers = {"Authorization": f"Bearer {self._token(email, sub)}"}
        check = self.http.get(f"/challenges/{challenge_id}/payouts/eligibility", headers=headers)
        self.responses[f"eligibility {check.status_code}"] += 1
        if check.status_code != 200 or not _eligible(check.json()):
            return 0
        answer = self.http.post(f"/challenges/{challenge_id}/payouts", headers=headers)
        self.responses[f"request {answer.status_code}"] += 1
        if answer.status_code == 201:
            log.info("payout requested", extra={"challenge_id": challenge_id, "payout": answer.json()})
            return 1
        if answer.status_code >= 500:
            log.warning("payout request failed: %s %s", answer.status_code, answer.text[:500])
        return 0

    def close(self) -> None:
        self.http.close()


def _eligible(body: Any) -> bool:
    return isinstance(body, dict) and body.get("eligible") is True
