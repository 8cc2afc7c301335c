"""Redis clients signed in from Secrets Manager (REDIS_AUTH_SECRET_ARN), against the real Redis with an
ACL user of the test's own (ElastiCache RBAC users are Redis ACL users) and the secret in moto."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterator

import boto3
import pytest
import redis
from moto import mock_aws
from propfirm.live.connection import (
    AUTH_SECRET_ENV,
    RedisCredentials,
    forget_credentials,
    parse_credentials,
    redis_from_url,
)
from propfirm.settings import SettingsError


@pytest.fixture
def acl_user(redis_client: redis.Redis, redis_namespace: str) -> Iterator[tuple[str, str]]:
    """A Redis user allowed on this test's namespace only, like the stack's application user."""
    name, password = f"propfirm-test-{uuid.uuid4().hex[:8]}", secrets.token_hex(24)
    redis_client.acl_setuser(
        name, enabled=True, passwords=[f"+{password}"], keys=[f"{redis_namespace}*"], commands=["+@all"]
    )
    forget_credentials()
    try:
        yield name, password
    finally:
        redis_client.acl_deluser(name)
        forget_credentials()


@pytest.fixture
def secrets_client(monkeypatch) -> Iterator[object]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="us-east-1")


def _secret(client, value: str) -> str:
    return client.create_secret(Name=f"cache-{uuid.uuid4().hex[:8]}", SecretString=value)["ARN"]


def test_the_client_signs_in_as_the_secrets_user(acl_user, secrets_client, redis_url, redis_namespace):
    name, password = acl_user
    arn = _secret(secrets_client, json.dumps({"username": name, "password": password}))
    client = redis_from_url(redis_url, secrets_client=secrets_client, environ={AUTH_SECRET_ENV: arn})
    try:
        assert client.acl_whoami() == name
        client.set(f"{redis_namespace}k", "v")
        assert client.get(f"{redis_namespace}k") == b"v"
        with pytest.raises(redis.exceptions.NoPermissionError):  # really that user: outside its keys
            client.get("outside-the-namespace")
    finally:
        client.close()


def test_a_wrong_password_is_refused(acl_user, secrets_client, redis_url):
    name, _ = acl_user
    arn = _secret(secrets_client, json.dumps({"username": name, "password": "not-the-password-0123"}))
    client = redis_from_url(redis_url, secrets_client=secrets_client, environ={AUTH_SECRET_ENV: arn})
    with pytest.raises(redis.exceptions.AuthenticationError):
        client.ping()


def test_the_secret_is_read_once_per_process(acl_user, secrets_client, redis_url):
    name, password = acl_user
    arn = _secret(secrets_client, json.dumps({"username": name, "password": password}))
    environ = {AUTH_SECRET_ENV: arn}
    assert redis_from_url(redis_url, secrets_client=secrets_client, environ=environ).acl_whoami() == name
    secrets_client.put_secret_value(SecretId=arn, SecretString=json.dumps({"username": name, "password": "x"}))
    # the kept credentials still sign in: no Secrets Manager call per client or connection
    assert redis_from_url(redis_url, secrets_client=secrets_client, environ=environ).acl_whoami() == name
    forget_credentials()
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis_from_url(redis_url, secrets_client=secrets_client, environ=environ).ping()


def test_without_the_secret_the_url_is_used_as_it_is(redis_url):
    client = redis_from_url(redis_url, environ={})
    try:
        assert client.acl_whoami() == "default"
    finally:
        client.close()


def test_secret_formats():
    assert parse_credentials("s", '{"username": "propfirm", "password": "p1"}') == RedisCredentials("propfirm", "p1")
    assert parse_credentials("s", " bare-password \n") == RedisCredentials(None, "bare-password")
    with pytest.raises(SettingsError, match="without a 'password'"):
        parse_credentials("s", '{"username": "propfirm"}')
    with pytest.raises(SettingsError, match="empty"):
        parse_credentials("s", "  ")
