"""The API Lambda as it runs in AWS with X-Ray tracing on, in a process of its own (the X-Ray SDK patches
botocore for the whole process): a purchase, the account bound, the one-time MT5 passwords revealed.

    python -m tests.integration.api.traced_handler    (DATABASE_URL, REDIS_URL, REDIS_NAMESPACE set)

Prints one JSON object: every entity the X-Ray recorder emitted (serialized as it would go to the daemon)
and the passwords the trader was shown, so the test can look for them in what tracing recorded.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from moto import mock_aws

TRACE_ID = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"


class CapturingEmitter:
    """The X-Ray recorder's emitter: keeps what would be sent to the daemon over UDP."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send_entity(self, entity: Any) -> None:
        self.sent.append(entity.serialize())

    def set_daemon_address(self, address: str) -> None:
        pass

    @property
    def ip(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        return 2000


def main() -> int:
    os.environ.update(
        {
            "AWS_LAMBDA_FUNCTION_NAME": "api",  # in Lambda: tracing on (Powertools disables it elsewhere)
            "LAMBDA_TASK_ROOT": "/tmp",
            "_X_AMZN_TRACE_ID": TRACE_ID,
            "POWERTOOLS_TRACE_DISABLED": "false",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "PROPFIRM_WEBHOOK_SECRET": "traced-webhook-secret-0123456789",
            "MT5_SERVER_NAME": f"traced-{uuid.uuid4().hex[:6]}",
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    with mock_aws():
        import boto3

        kms = boto3.client("kms")
        os.environ["PROPFIRM_CREDENTIALS_KMS_KEY_ID"] = kms.create_key()["KeyMetadata"]["KeyId"]
        seal_key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
        os.environ["AUDIT_SEAL_KMS_KEY_ID"] = seal_key
        from aws_xray_sdk.core import xray_recorder

        emitter = CapturingEmitter()
        xray_recorder.configure(emitter=emitter)
        from propfirm.api.local_server import _templates, build_event
        from propfirm.api.purchases import signature_of
        from propfirm.api.tokens import claims_for_event
        from propfirm.queues.lambda_events import LocalContext
        from propfirm.queues.messages import CommandResult
        from propfirm.store.uow import UnitOfWork

        from functions.api.handler import lambda_handler

        def call(method: str, path: str, body: bytes = b"", headers: dict | None = None, claims=None) -> dict:
            event = build_event(method, path, list((headers or {}).items()), body, claims, _templates())
            return lambda_handler(event, LocalContext(function_name="api", aws_request_id="traced"))

        email = f"traced-{uuid.uuid4().hex[:8]}@example.com"
        order = json.dumps(
            {"order_id": uuid.uuid4().hex, "email": email, "name": "Tia Race", "program": "two-step-100k"}
        ).encode()
        stamp = str(int(time.time()))
        answer = call(
            "POST",
            "/webhooks/purchase",
            order,
            {"X-Timestamp": stamp, "X-Signature": signature_of(os.environ["PROPFIRM_WEBHOOK_SECRET"], stamp, order)},
        )
        challenge_id = json.loads(answer["body"])["challenge_id"]
        from propfirm.evaluation.provisioning import bind_created_account

        now = datetime.now(UTC)
        command_id = f"{challenge_id}:0:create_account"
        result = CommandResult(
            command_id=command_id,
            type="create_account",
            server=os.environ["MT5_SERVER_NAME"],
            login=700_000 + challenge_id,
            ok=True,
            time=now,
        )
        with UnitOfWork(os.environ["DATABASE_URL"]) as uow:
            uow.outbox.record_result(command_id, True, result.model_dump(mode="json"), now)
            bind_created_account(uow, result, now)
            (sub,) = uow.fetchone("SELECT sub FROM traders WHERE email = %s", (email,))
            uow.commit()
        trader = claims_for_event({"sub": sub, "email": email, "cognito:groups": ["trader"], "token_use": "id"})
        shown = call("POST", f"/challenges/{challenge_id}/credentials", claims=trader)
        # an error path too: the second reveal is refused (nothing secret in it either)
        refused = call("POST", f"/challenges/{challenge_id}/credentials", claims=trader)
        revealed = json.loads(shown["body"])
        print(
            json.dumps(
                {
                    "statuses": [answer["statusCode"], shown["statusCode"], refused["statusCode"]],
                    "passwords": [revealed.get("password_main"), revealed.get("password_investor")],
                    "entities": emitter.sent,
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
