"""The handshake hash chain against the official test vector (reference §1.2)."""

from __future__ import annotations

import hashlib

import pytest
from propfirm.mt5.auth import answers_match, new_cli_rand, parse_rand, password_hash, rand_answer

VECTOR_PASSWORD = "Password1"
VECTOR_MD5_UTF16 = bytes([236, 46, 146, 255, 112, 191, 70, 145, 174, 12, 104, 224, 47, 220, 108, 34])
VECTOR_PASSWORD_HASH = "904ba8ecb16273d2f0ae9c3b8a023752"
VECTOR_SRV_RAND = "73007dc7184747ce0f7c98516ef1c851"
VECTOR_SRV_RAND_ANSWER = "77fe51827f7fa69dd80fbec9aa33f1bb"
VECTOR_CLI_RAND = "4db98fec17aab4dc5a240bdc659e8395"
VECTOR_CLI_RAND_ANSWER = "1732021b1b332f51660b2b315eed3a35"


def test_first_digest_is_md5_of_utf16le() -> None:
    assert hashlib.md5(VECTOR_PASSWORD.encode("utf-16-le")).digest() == VECTOR_MD5_UTF16


def test_password_hash_matches_official_vector() -> None:
    assert password_hash(VECTOR_PASSWORD).hex() == VECTOR_PASSWORD_HASH
    assert len(password_hash(VECTOR_PASSWORD)) == 16


def test_srv_rand_answer_matches_official_vector() -> None:
    assert rand_answer(password_hash(VECTOR_PASSWORD), parse_rand(VECTOR_SRV_RAND)) == VECTOR_SRV_RAND_ANSWER


def test_cli_rand_answer_matches_official_vector() -> None:
    assert rand_answer(password_hash(VECTOR_PASSWORD), parse_rand(VECTOR_CLI_RAND)) == VECTOR_CLI_RAND_ANSWER


def test_hashing_hex_text_instead_of_bytes_gives_a_different_answer() -> None:
    wrong = hashlib.md5(VECTOR_PASSWORD_HASH.encode() + VECTOR_SRV_RAND.encode()).hexdigest()
    assert wrong != VECTOR_SRV_RAND_ANSWER


def test_rand_answer_refuses_a_hex_password_hash() -> None:
    with pytest.raises(ValueError):
        rand_answer(VECTOR_PASSWORD_HASH.encode(), parse_rand(VECTOR_SRV_RAND))


def test_cli_rand_is_fresh_16_bytes() -> None:
    a, b = new_cli_rand(), new_cli_rand()
    assert len(a) == 16 and a != b


@pytest.mark.parametrize("bad", ["abcd", "zz" * 16, ""])
def test_parse_rand_refuses_malformed(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_rand(bad)


def test_answers_match_ignores_case_only() -> None:
    assert answers_match(VECTOR_CLI_RAND_ANSWER, VECTOR_CLI_RAND_ANSWER.upper())
    assert not answers_match(VECTOR_CLI_RAND_ANSWER, VECTOR_SRV_RAND_ANSWER)
