"""MT5 passwords of a purchased account: generated to MT5's rules, sealed, shown to the trader once.

The purchase webhook generates the main and investor passwords (`propfirm.mt5.passwords`: 8 to 16
characters, lower and upper case, digits and symbols) and seals them once (`propfirm.sealing`: KMS in
AWS, a kept local key otherwise, bound to the challenge): the same ciphertext is kept in
`account_credentials` for the reveal and carried by the `create_account` command, which the poller opens
just before it asks MT5 for the account. No plain password is written to PostgreSQL or a queue.

`reveal` decrypts them once, for the owner, after MT5 made the account; it marks the row revealed and
audits who saw them, in the same transaction (a second reveal is a 409), and removes the sealed copy
from the command kept in the outbox once that command is done.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

import orjson

from propfirm.mt5.passwords import generate_password
from propfirm.operations.errors import OperationConflict
from propfirm.queues.messages import SealedPasswords
from propfirm.sealing import Cipher, Passwords, seal_passwords
from propfirm.store.audit import AuditEntry
from propfirm.store.uow import UnitOfWork

PASSWORD_LENGTH = 12


def new_passwords() -> Passwords:
    return Passwords(generate_password(PASSWORD_LENGTH), generate_password(PASSWORD_LENGTH))


def store(uow: UnitOfWork, cipher: Cipher, challenge_id: int, passwords: Passwords) -> SealedPasswords:
    """Seal the passwords and keep them for the reveal (no commit: the purchase's transaction); the sealed
    copy is what the `create_account` command carries."""
    sealed = seal_passwords(cipher, challenge_id, passwords)
    uow.execute(
        "INSERT INTO account_credentials (challenge_id, key_ref, ciphertext) VALUES (%s, %s, %s)",
        (challenge_id, sealed.key_ref, base64.b64decode(sealed.ciphertext)),
    )
    return sealed


def reveal(
    uow: UnitOfWork, cipher: Cipher, challenge: dict[str, Any], who: str, now: datetime
) -> dict[str, Any]:
    """The account's login and passwords, once; commits, with an audit row (who, when, which challenge).
    409 before MT5 made the account, and after the first reveal. `who`: the trader's sub."""
    challenge_id = challenge["id"]
    row = uow.fetchone(
        "SELECT key_ref, ciphertext, revealed_at FROM account_credentials WHERE challenge_id = %s FOR UPDATE",
        (challenge_id,),
    )
    if row is None:
        raise OperationConflict("this challenge has no credentials kept by the API", code="no_credentials")
    if row[2] is not None:
        raise OperationConflict(
            "the credentials were shown once already; ask support to reset the password", code="already_shown"
        )
    if challenge["login"] is None:
        raise OperationConflict("the MT5 account is being created; try again shortly", code="account_pending")
    secret = orjson.loads(cipher.decrypt(bytes(row[1]), challenge_id, row[0]))
    uow.execute(
        "UPDATE account_credentials SET revealed_at = %s, revealed_to = %s WHERE challenge_id = %s",
        (now, who, challenge_id),
    )
    # the command kept in the outbox needs its passwords no more once MT5 carried it out
    uow.execute(
        "UPDATE outbox SET command = command - 'password_main' - 'password_investor' - 'sealed_passwords'"
        " WHERE challenge_id = %s AND kind = 'create_account' AND status = 'done'",
        (challenge_id,),
    )
    uow.audit.append(
        [
            AuditEntry(
                "credentials.revealed",
                {"revealed_to": who},
                challenge_id,
                challenge["server"],
                challenge["login"],
                now,
            )
        ]
    )
    uow.commit()
    return {
        "challenge_id": challenge_id,
        "server": challenge["server"],
        "login": challenge["login"],
        "password_main": secret["main"],
        "password_investor": secret["investor"],
        "shown_at": now,
    }
