"""IAM authentication through RDS Proxy: a fresh signed token per connection, TLS verified in full."""

import boto3
import pytest
from propfirm.store.db import iam_token_kwargs


@pytest.fixture
def rds(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return boto3.client("rds", region_name="eu-central-1")


def test_each_connection_gets_a_token_for_the_urls_host_and_user(rds):
    url = "postgresql://evaluator@proxy.example.internal:5432/propfirm"
    kwargs = iam_token_kwargs(url, "eu-central-1", rds)
    first = kwargs()
    # the server's certificate must chain to a root of the bundle and name the host (verify-full); RDS
    # Proxy's comes from ACM, under Amazon's roots, which the bundle holds
    assert first["sslmode"] == "verify-full"
    with open(first["sslrootcert"]) as bundle:
        roots = bundle.read()
    assert "Amazon Root CA 1" in roots and "Starfield Services Root Certificate Authority - G2" in roots
    token = first["password"]
    assert token.startswith("proxy.example.internal:5432/?") and "Action=connect" in token
    assert "DBUser=evaluator" in token and "X-Amz-Signature=" in token


def test_a_url_without_host_or_user_is_refused():
    with pytest.raises(ValueError, match="host and the user"):
        iam_token_kwargs("postgresql:///propfirm", "eu-central-1")
