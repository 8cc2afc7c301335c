"""Change detection: which accounts to send this cycle.

An account is sent when its balance, equity, credit, margin or open positions differ from what was last
sent, when it has new deals, or when `heartbeat_seconds` passed since it was last sent (so the evaluator
hears of every account now and then, and a snapshot Redis lost comes again). The fingerprints live in
memory only: after a restart every account counts as changed once, which resends the whole picture.
A change is committed only after its message went out, so a failed cycle resends it next time.

Only the hash of a fingerprint is kept (an int instead of four Decimals and a tuple: ~100 bytes an
account instead of ~600, which matters at 100k accounts). The amounts are hashed as their text: a
`Decimal` just decoded computes its hash with modular arithmetic (~0.8 µs each, ~0.3 s a cycle at 100k
accounts), its text in a tenth of that. The same amount always reads as the same text from MT5, so no
change is ever invented (were "1.0" and "1.00" both to come, that is one snapshot sent more, no harm);
two different states with the same 64-bit hash (odds about 1 in 10^19 per comparison) would delay that
account's snapshot until its heartbeat.
"""

from __future__ import annotations

from collections.abc import Container, Hashable, Iterable
from decimal import Decimal


def fingerprint_hash(balance: Decimal, equity: Decimal, credit: Decimal, margin: Decimal,
                     positions: Hashable) -> int:
    """`positions`: what change detection sees of the open positions (None where the group's are not read)."""
    return hash((str(balance), str(equity), str(credit), str(margin), positions))


class ChangeDetector:
    def __init__(self, heartbeat_seconds: float) -> None:
        self.heartbeat_seconds = heartbeat_seconds
        self._sent: dict[int, int] = {}  # login -> hash of the fingerprint last sent
        self._sent_at: dict[int, float] = {}

    def is_changed(self, login: int, fingerprint: int, now: float, has_deals: bool) -> bool:
        """`fingerprint` is the hash of the account's (balance, equity, credit, margin, positions)."""
        if has_deals:
            return True
        previous = self._sent.get(login)
        if previous is None or previous != fingerprint:
            return True
        return now - self._sent_at[login] >= self.heartbeat_seconds

    def commit(self, sent: Iterable[tuple[int, int]], now: float) -> None:
        for login, fingerprint in sent:
            self._sent[login] = fingerprint
            self._sent_at[login] = now

    def forget_missing(self, present: Container[int]) -> None:
        """Drop accounts that left the watched groups (memory stays bounded by the live accounts)."""
        for login in [login for login in self._sent if login not in present]:
            del self._sent[login]
            del self._sent_at[login]

    def __len__(self) -> int:
        return len(self._sent)
