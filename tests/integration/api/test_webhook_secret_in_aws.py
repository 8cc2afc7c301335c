"""In AWS the webhook key lives in Secrets Manager (the function's settings carry only its ARN), and new
accounts' MT5 passwords are encrypted with a KMS key (moto)."""

import boto3
import pytest
from moto import mock_aws
from propfirm.api.runtime import build_runtime
from propfirm.api.settings import ApiSettings
from propfirm.settings import SettingsError, load


@pytest.fixture
def secrets(monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "PROPFIRM_WEBHOOK_SECRET", "PROPFIRM_WEBHOOK_SECRET_ARN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "propfirm-api")
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="us-east-1")


def test_the_key_is_read_from_the_secret_named_by_its_arn(secrets, database_url, redis_client):
    arn = secrets.create_secret(Name="webhook", SecretString="k" * 48)["ARN"]
    kms = boto3.client("kms", region_name="us-east-1")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    settings = load(
        ApiSettings,
        database_url=database_url,
        propfirm_webhook_secret_arn=arn,
        propfirm_credentials_kms_key_id=key_id,
    )
    runtime = build_runtime(settings, redis_client=redis_client, secrets_client=secrets, kms_client=kms)
    try:
        assert runtime.webhook_secret == "k" * 48
        assert runtime.credentials_cipher().key_ref == f"kms:{key_id}"
    finally:
        runtime.pool.close()


def test_in_aws_without_a_kms_key_the_function_refuses_to_start(secrets, database_url, redis_client):
    arn = secrets.create_secret(Name="webhook2", SecretString="k" * 48)["ARN"]
    settings = load(ApiSettings, database_url=database_url, propfirm_webhook_secret_arn=arn)
    with pytest.raises(SettingsError, match="PROPFIRM_CREDENTIALS_KMS_KEY_ID"):
        build_runtime(settings, redis_client=redis_client, secrets_client=secrets)


def test_in_aws_without_a_key_the_function_refuses_to_start(secrets, database_url, redis_client):
    with pytest.raises(SettingsError, match="PROPFIRM_WEBHOOK_SECRET_ARN"):
        build_runtime(load(ApiSettings, database_url=database_url), redis_client=redis_client)


def test_a_secret_too_short_to_be_a_key_is_refused(secrets, database_url, redis_client):
    arn = secrets.create_secret(Name="short", SecretString="abc")["ARN"]
    settings = load(ApiSettings, database_url=database_url, propfirm_webhook_secret_arn=arn)
    with pytest.raises(SettingsError, match="16"):
        build_runtime(settings, redis_client=redis_client, secrets_client=secrets)
