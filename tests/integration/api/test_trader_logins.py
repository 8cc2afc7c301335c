"""Who a trader is, through the purchase webhook and Cognito (moto): the login's immutable `sub`, never an
email. A new buyer gets a login in the trader group; a buyer who bought before keeps theirs; an email that
belongs to staff, to an unverified email change or to several users grants nobody anything (the order is
recorded, its trader unbound, the refusal audited). A failure of Cognito is a 503 with nothing recorded,
healed by the shop's retry."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws
from propfirm.operations.logins import EMAIL_UNVERIFIED, STAFF_LOGIN, CognitoTraderLogins

from tests.integration.api.conftest import Api, claims
from tests.integration.api.test_handler import assert_problem, email, order


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


def _user(client, pool_id: str, address: str, group: str | None = None) -> tuple[str, str]:
    """An existing login (username, sub) with a verified email, in `group`."""
    user = client.admin_create_user(
        UserPoolId=pool_id,
        Username=address,
        UserAttributes=[{"Name": "email", "Value": address}, {"Name": "email_verified", "Value": "true"}],
    )["User"]
    if group:
        client.admin_add_user_to_group(UserPoolId=pool_id, Username=user["Username"], GroupName=group)
    sub = next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")
    return user["Username"], sub


def _groups(client, pool_id: str, username: str) -> list[str]:
    answer = client.admin_list_groups_for_user(UserPoolId=pool_id, Username=username)
    return sorted(g["GroupName"] for g in answer["Groups"])


def _trader(api: Api, address: str) -> tuple[str, str]:
    [(sub, origin)] = api.rows("SELECT sub, sub_origin FROM traders WHERE lower(email) = lower(%s)", (address,))
    return sub, origin


def _challenges(api: Api, sub: str, address: str) -> list[int]:
    status, _, body = api.call("GET", "/challenges", claims=claims("trader", address, sub=sub))
    assert status == 200, body
    return [c["id"] for c in body["items"]]


def test_a_new_trader_gets_a_login_in_the_trader_group_bound_by_its_sub(api: Api, pool) -> None:
    client, pool_id = pool
    api.runtime.trader_logins = CognitoTraderLogins(pool_id, client)
    sale = order()
    status, _, first = api.purchase(sale)
    assert status == 202, first
    user = client.admin_get_user(UserPoolId=pool_id, Username=sale["email"])
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["email"] == sale["email"] and attributes["name"] == sale["name"]
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"  # Cognito's invitation carries a temporary password
    assert _groups(client, pool_id, user["Username"]) == ["trader"]
    assert _trader(api, sale["email"]) == (attributes["sub"], "identity_provider")
    assert _challenges(api, attributes["sub"], sale["email"]) == [first["challenge_id"]]

    status, _, again = api.purchase(sale)  # the same order delivered again: the same answer, one user
    assert status == 202 and again == first
    second = api.purchase(order(email=sale["email"]))  # the same trader buys again: the same login
    assert second[0] == 202
    assert len(client.list_users(UserPoolId=pool_id)["Users"]) == 1
    assert sorted(_challenges(api, attributes["sub"], sale["email"])) == sorted(
        [first["challenge_id"], second[2]["challenge_id"]]
    )


def test_a_staff_login_is_never_made_a_trader_by_a_purchase(api: Api, pool) -> None:
    client, pool_id = pool
    api.runtime.trader_logins = CognitoTraderLogins(pool_id, client)
    address = email()
    username, staff_sub = _user(client, pool_id, address, "admin")
    status, _, accepted = api.purchase(order(email=address))
    assert status == 202, accepted  # the order is the shop's: recorded, and its account made
    cid = accepted["challenge_id"]
    assert _groups(client, pool_id, username) == ["admin"]  # granted nothing
    sub, origin = _trader(api, address)
    assert origin == "unbound" and sub.startswith("unbound:") and sub != staff_sub
    assert _challenges(api, staff_sub, address) == []  # even a trader token of the staff login owns nothing
    assert api.rows(
        "SELECT payload->>'reason' FROM audit_log WHERE kind = 'trader.login_refused' AND challenge_id = %s", (cid,)
    ) == [(STAFF_LOGIN,)]


def test_an_unverified_email_change_grants_the_changed_login_nothing(api: Api, pool) -> None:
    """The attack: a trader sets their email to a victim's (not verified) before the victim buys. Before,
    the webhook added the attacker's login to the order; now the victim's order is bound to nobody."""
    client, pool_id = pool
    api.runtime.trader_logins = CognitoTraderLogins(pool_id, client)
    attacker_address, victim = email(), email()
    username, attacker_sub = _user(client, pool_id, attacker_address, "trader")
    client.admin_update_user_attributes(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=[{"Name": "email", "Value": victim}, {"Name": "email_verified", "Value": "false"}],
    )
    status, _, accepted = api.purchase(order(email=victim))
    assert status == 202, accepted
    assert _challenges(api, attacker_sub, victim) == []
    assert _challenges(api, attacker_sub, attacker_address) == []
    sub, origin = _trader(api, victim)
    assert origin == "unbound" and sub != attacker_sub
    assert api.rows(
        "SELECT payload->>'reason' FROM audit_log WHERE kind = 'trader.login_refused' AND challenge_id = %s",
        (accepted["challenge_id"],),
    ) == [(EMAIL_UNVERIFIED,)]


def test_a_trader_recorded_without_an_identity_provider_is_bound_to_the_login_of_its_next_purchase(
    api: Api, pool
) -> None:
    client, pool_id = pool
    sale = order()
    assert api.purchase(sale)[0] == 202  # no identity provider: a local sub
    local_sub, origin = _trader(api, sale["email"])
    assert origin == "local"
    api.runtime.trader_logins = CognitoTraderLogins(pool_id, client)
    status, _, second = api.purchase(order(email=sale["email"]))
    assert status == 202
    user = client.admin_get_user(UserPoolId=pool_id, Username=sale["email"])
    cognito_sub = next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")
    assert _trader(api, sale["email"]) == (cognito_sub, "identity_provider")
    assert len(_challenges(api, cognito_sub, sale["email"])) == 2 and _challenges(api, local_sub, "x@y.z") == []
    assert api.rows(
        "SELECT payload->>'sub' FROM audit_log WHERE kind = 'trader.login_bound' AND challenge_id = %s",
        (second["challenge_id"],),
    ) == [(cognito_sub,)]


class _Down:
    def ensure(self, email: str, name: str):
        raise RuntimeError("cognito-idp unreachable")


def test_a_login_that_cannot_be_checked_is_a_503_with_nothing_recorded_and_the_retry_records_it(
    api: Api, pool
) -> None:
    client, pool_id = pool
    sale = order()
    api.runtime.trader_logins = _Down()
    status, headers, problem = api.purchase(sale)
    assert_problem(status, headers, problem, 503)
    assert api.rows("SELECT count(*) FROM challenges WHERE order_id = %s", (sale["order_id"],)) == [(0,)]

    api.runtime.trader_logins = CognitoTraderLogins(pool_id, client)
    status, _, accepted = api.purchase(sale)  # the shop retries the same order
    assert status == 202
    recorded = api.rows("SELECT id, status FROM challenges WHERE order_id = %s", (sale["order_id"],))
    assert recorded == [(accepted["challenge_id"], "provisioning")]
    user = client.admin_get_user(UserPoolId=pool_id, Username=sale["email"])
    assert _groups(client, pool_id, user["Username"]) == ["trader"]
    assert api.rows("SELECT count(*) FROM outbox WHERE challenge_id = %s", (recorded[0][0],)) == [(1,)]
