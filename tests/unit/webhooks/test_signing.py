"""Signatures as the Standard Webhooks specification defines them, checked by its reference library."""

from __future__ import annotations

import time

import pytest
from propfirm.webhooks import signing
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

BODY = b'{"type":"ChallengeFailed","timestamp":"2026-12-07T09:30:00+00:00","data":{"challenge_id":7}}'


def test_a_signed_message_verifies_with_the_reference_library() -> None:
    secret = signing.new_secret()
    now = int(time.time())
    headers = signing.headers([secret], "msg_1", now, BODY)
    assert Webhook(secret).verify(BODY, headers) == {
        "type": "ChallengeFailed",
        "timestamp": "2026-12-07T09:30:00+00:00",
        "data": {"challenge_id": 7},
    }


@pytest.mark.parametrize("field", ["body", "id", "timestamp", "secret"])
def test_any_change_breaks_the_signature(field: str) -> None:
    secret = signing.new_secret()
    now = int(time.time())
    headers = signing.headers([secret], "msg_1", now, BODY)
    body = BODY
    if field == "body":
        body = BODY.replace(b"7", b"8")
    elif field == "id":
        headers["webhook-id"] = "msg_2"
    elif field == "timestamp":
        headers["webhook-timestamp"] = str(now - 1)
    else:
        secret = signing.new_secret()
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, headers)


def test_during_a_rotation_both_secrets_verify() -> None:
    old, new = signing.new_secret(), signing.new_secret()
    now = int(time.time())
    headers = signing.headers([new, old], "msg_1", now, BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(BODY, headers)
    Webhook(new).verify(BODY, headers)


def test_the_signature_is_the_specifications_example() -> None:
    # the worked example of the specification's reference implementations (their test suites)
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    assert signing.sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


@pytest.mark.parametrize(
    ("secret", "says"),
    [
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "starts with 'whsec_'"),
        ("whsec_not base64!", "not base64"),
        ("whsec_c2hvcnQ=", "24 to 64 bytes"),
    ],
)
def test_a_bad_secret_is_refused_with_a_reason(secret: str, says: str) -> None:
    with pytest.raises(signing.SecretError, match=says):
        signing.sign(secret, "msg_1", 1, BODY)
