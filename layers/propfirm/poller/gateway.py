"""Builds the MT5 gateway for the poller: the manager password from AWS Secrets Manager in AWS
(`MT5_MANAGER_PASSWORD_SECRET_ID`: a plain secret string, or JSON with a `password` field), or from
`MT5_MANAGER_PASSWORD` / `MT5_MANAGER_PASSWORD_FILE` locally (see `propfirm.mt5.settings`)."""

from __future__ import annotations

from typing import Any

import orjson

from propfirm.mt5.port import Mt5Gateway
from propfirm.mt5.settings import Mt5Settings, gateway_from_settings
from propfirm.settings import SettingsError, load


def password_from_secret(secret_id: str, client: Any) -> str:
    text = client.get_secret_value(SecretId=secret_id)["SecretString"]
    if text.lstrip().startswith("{"):
        try:
            return str(orjson.loads(text)["password"])
        except (orjson.JSONDecodeError, KeyError) as exc:
            raise SettingsError(f"secret {secret_id}: JSON without a 'password' field") from exc
    return text.strip()


def build_gateway(secret_id: str = "", secrets_client: Any = None) -> Mt5Gateway:
    overrides: dict[str, Any] = {}
    if secret_id:
        if secrets_client is None:
            import boto3

            secrets_client = boto3.client("secretsmanager")
        overrides["manager_password"] = password_from_secret(secret_id, secrets_client)
    return gateway_from_settings(load(Mt5Settings, **overrides))
