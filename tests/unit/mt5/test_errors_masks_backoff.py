"""Return codes -> typed errors, group masks, backoff, passwords."""

from __future__ import annotations

import random

import pytest
from propfirm.mt5 import errors, masks
from propfirm.mt5.backoff import Backoff
from propfirm.mt5.passwords import generate_password, is_acceptable


@pytest.mark.parametrize(
    "code,kind",
    [
        (13, errors.NotFound),
        (8, errors.NoPermission),
        (3, errors.InvalidRequest),
        (3006, errors.InvalidRequest),
        (10014, errors.InvalidRequest),
        (3004, errors.AlreadyExists),
        (12, errors.TooFrequent),
        (10024, errors.TooFrequent),
        (7, errors.ConnectionLost),
        (1001, errors.AuthFailed),
        (10019, errors.Rejected),
        (10006, errors.Rejected),
        (3010, errors.Rejected),
        (2, errors.Rejected),
    ],
)
def test_from_retcode(code: int, kind: type) -> None:
    error = errors.from_retcode(code, "text")
    assert type(error) is kind and error.retcode == code and "text" in str(error)


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("0 Done", (0, "Done")),
        ("13 Not found", (13, "Not found")),
        (3006, (3006, "")),
        ("10009", (10009, "")),
    ],
)
def test_parse_retcode(raw: object, expected: tuple[int, str]) -> None:
    assert errors.parse_retcode(raw) == expected


@pytest.mark.parametrize("raw", ["Done", "", True, None])
def test_parse_retcode_refuses_garbage(raw: object) -> None:
    with pytest.raises(ValueError):
        errors.parse_retcode(raw)


def test_masks() -> None:
    names = ["challenge\\phase1", "challenge\\phase2", "funded\\standard", "demo\\forex"]
    assert masks.select(names, ["challenge\\*"]) == names[:2]
    assert masks.select(names, ["*", "!challenge\\*"]) == names[2:]
    assert masks.select(names, ["CHALLENGE\\PHASE1,funded\\*"]) == [names[0], names[2]]
    assert masks.select(names, ["demo\\*,!demo\\forex"]) == []
    assert masks.is_concrete("funded\\standard") and not masks.is_concrete("funded\\*")


def test_backoff_grows_with_jitter_up_to_the_cap() -> None:
    backoff = Backoff(base=1.0, cap=8.0, rng=random.Random(3))
    delays = [backoff.next_delay() for _ in range(6)]
    for n, delay in enumerate(delays):
        ceiling = min(8.0, 2.0**n)
        assert ceiling / 2 <= delay <= ceiling
    assert len(set(delays)) == len(delays)
    backoff.reset()
    assert backoff.next_delay() <= 1.0


def test_generated_passwords_meet_mt5_rules() -> None:
    for length in (8, 12, 16):
        password = generate_password(length)
        assert len(password) == length and is_acceptable(password)
    assert generate_password() != generate_password()
    with pytest.raises(ValueError):
        generate_password(20)
    assert not is_acceptable("password") and not is_acceptable("Passw0rd")
