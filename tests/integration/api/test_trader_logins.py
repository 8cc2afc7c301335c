"""The purchase webhook gives each new trader a dashboard login in Cognito (moto), idempotently; a
failure there is a 503 the shop's retry heals, and the order is recorded either way."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws
from propfirm.api.logins import CognitoTraderLogins

from tests.integration.api.conftest import Api
from tests.integration.api.test_handler import assert_problem, order


@pytest.fixture
def pool(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("cognito-idp", region_name="us-east-1")
        pool_id = client.create_user_pool(PoolName="traders", UsernameAttributes=["email"])["UserPool"]["Id"]
        for group in ("trader", "support", "admin"):
            client.create_group(UserPoolId=pool_id, GroupName=group)
        yield client, pool_id


def _groups(client, pool_id: str, email: str) -> list[str]:
    return [g["GroupName"] for g in client.admin_list_groups_for_user(UserPoolId=pool_id, Username=email)["Groups"]]


def test_a_new_trader_gets_a_login_in_the_trader_group_once(api: Api, pool) -> None:
    client, pool_id = pool
    api.runtime.trader_logins = CognitoTraderLogins(pool_id, client)
    sale = order()
    status, _, first = api.purchase(sale)
    assert status == 202, first
    user = client.admin_get_user(UserPoolId=pool_id, Username=sale["email"])
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["email"] == sale["email"] and attributes["name"] == sale["name"]
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"  # Cognito's invitation carries a temporary password
    assert _groups(client, pool_id, sale["email"]) == ["trader"]

    status, _, again = api.purchase(sale)  # the same order delivered again: the same answer, one user
    assert status == 202 and again == first
    second_order = order(email=sale["email"])  # the same trader buys again
    assert api.purchase(second_order)[0] == 202
    users = client.list_users(UserPoolId=pool_id)["Users"]
    assert len(users) == 1 and _groups(client, pool_id, sale["email"]) == ["trader"]


class _Down:
    def ensure(self, email: str, name: str) -> bool:
        raise RuntimeError("cognito-idp unreachable")


def test_a_login_that_cannot_be_made_is_a_503_and_the_retry_makes_it(api: Api, pool) -> None:
    client, pool_id = pool
    sale = order()
    api.runtime.trader_logins = _Down()
    status, headers, problem = api.purchase(sale)
    assert_problem(status, headers, problem, 503)
    recorded = api.rows("SELECT id, status FROM challenges WHERE order_id = %s", (sale["order_id"],))
    assert len(recorded) == 1 and recorded[0][1] == "provisioning"  # nothing lost

    api.runtime.trader_logins = CognitoTraderLogins(pool_id, client)
    status, _, accepted = api.purchase(sale)  # the shop retries the same order
    assert status == 202 and accepted["challenge_id"] == recorded[0][0]
    assert _groups(client, pool_id, sale["email"]) == ["trader"]
    assert api.rows("SELECT count(*) FROM outbox WHERE challenge_id = %s", (recorded[0][0],)) == [(1,)]
