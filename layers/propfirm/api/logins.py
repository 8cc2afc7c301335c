"""Dashboard logins for new traders: in AWS the purchase webhook makes sure the buyer has a Cognito user
in the `trader` group, so the welcome email (Cognito's invitation, a temporary password) lets them sign
in and see their challenge and, once, their MT5 passwords. Locally there is no user pool: tokens come
from `propfirm token`, and nothing is created.

`ensure` is idempotent (an existing user is only put in the group again, which Cognito accepts), so the
webhook calls it on every delivery of an order: a delivery that failed here is healed by the shop's
retry. The email is the user name (the pool signs in by email)."""

from __future__ import annotations

import logging
from typing import Any, Protocol

log = logging.getLogger("propfirm.api")

TRADER_GROUP = "trader"


class TraderLogins(Protocol):
    def ensure(self, email: str, name: str) -> bool:
        """The trader can sign in as `trader`; True when the user was created now."""
        ...


class CognitoTraderLogins:
    def __init__(self, user_pool_id: str, client: Any = None) -> None:
        if client is None:
            import boto3

            client = boto3.client("cognito-idp")
        self.user_pool_id = user_pool_id
        self.client = client

    def ensure(self, email: str, name: str) -> bool:
        created = True
        try:
            self.client.admin_create_user(
                UserPoolId=self.user_pool_id,
                Username=email,
                UserAttributes=[
                    {"Name": "email", "Value": email},
                    {"Name": "email_verified", "Value": "true"},  # the shop took payment from this address
                    {"Name": "name", "Value": name},
                ],
                DesiredDeliveryMediums=["EMAIL"],
            )
        except self.client.exceptions.UsernameExistsException:
            created = False  # bought before, or an earlier delivery of this order created it
        self.client.admin_add_user_to_group(UserPoolId=self.user_pool_id, Username=email, GroupName=TRADER_GROUP)
        if created:
            log.info("dashboard login created for a new trader", extra={"user_pool_id": self.user_pool_id})
        return created
