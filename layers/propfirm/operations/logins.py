"""Dashboard logins for traders, and the identity a purchase binds its trader to.

A trader is the identity provider's immutable subject (`sub`), never an email: an email is an attribute a
user may change. In AWS the purchase webhook asks `CognitoTraderLogins.ensure(email, name)` before it
records the order:

- no user has the email: one is created (Cognito's invitation, a temporary password, the email marked
  verified: the shop took payment from that address) and put in the `trader` group; its `sub` is the
  trader's;
- one user has it, verified, and is a trader or has no role yet: it is put in the `trader` group (again:
  Cognito accepts that) and its `sub` is the trader's;
- otherwise the login is granted nothing, and the trader is recorded unbound (a sub no login has), for
  support to settle: the email belongs to staff (`admin`/`support`: staff who also trade use a login of
  their own, a purchase never turns a staff login into a trader's), to an email change its user has not
  verified (the victim's address typed in as one's own), or to several users.

Locally there is no user pool (`ensure` is not called): the trader keeps the sub recorded for the email,
or gets a generated one (`propfirm token --role trader --email E` mints a token with it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from propfirm.domain.roles import STAFF, Role
from propfirm.store.traders import IDENTITY_PROVIDER, UNBOUND

log = logging.getLogger("propfirm.api")

TRADER_GROUP = Role.TRADER
STAFF_GROUPS = STAFF

# why a purchase's email was not granted the trader role (audit `trader.login_refused`)
STAFF_LOGIN = "staff_login"
EMAIL_UNVERIFIED = "email_unverified"
EMAIL_AMBIGUOUS = "email_ambiguous"


@dataclass(frozen=True)
class Identity:
    """Whom a purchase's trader is bound to: a login's `sub`, or nobody (`refused` says why)."""

    sub: str | None
    origin: str  # propfirm.store.traders: identity_provider | unbound
    created: bool = False  # the login was created by this call
    refused: str | None = None

    @classmethod
    def unbound(cls, reason: str) -> Identity:
        return cls(None, UNBOUND, refused=reason)


class TraderLogins(Protocol):
    def ensure(self, email: str, name: str) -> Identity:
        """The login a purchase by `email` belongs to (created when there is none), in the trader group;
        or an unbound identity when that login must not be granted anything."""
        ...


def _attributes(user: dict[str, Any]) -> dict[str, str]:
    items = user.get("Attributes") or user.get("UserAttributes") or []
    return {a["Name"]: a.get("Value", "") for a in items}


def _filter_value(email: str) -> str:
    """An email inside a ListUsers filter's double quotes (backslash and quote escaped)."""
    return email.replace("\\", "\\\\").replace('"', '\\"')


class CognitoTraderLogins:
    def __init__(self, user_pool_id: str, client: Any = None) -> None:
        if client is None:
            import boto3

            client = boto3.client("cognito-idp")
        self.user_pool_id = user_pool_id
        self.client = client

    def _users_with_email(self, email: str) -> list[dict[str, Any]]:
        """Every user whose current email attribute is `email`, verified or not (a pending change too)."""
        answer = self.client.list_users(
            UserPoolId=self.user_pool_id, Filter=f'email = "{_filter_value(email)}"', Limit=10
        )
        return [u for u in answer.get("Users", []) if _attributes(u).get("email", "").lower() == email.lower()]

    def _groups_of(self, username: str) -> set[str]:
        answer = self.client.admin_list_groups_for_user(UserPoolId=self.user_pool_id, Username=username)
        return {g["GroupName"] for g in answer.get("Groups", [])}

    def ensure(self, email: str, name: str) -> Identity:
        users = self._users_with_email(email)
        if not users:
            try:
                created = self.client.admin_create_user(
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
                users = self._users_with_email(email)  # a concurrent delivery created it: judge that one
                if not users:
                    raise
            else:
                user = created["User"]
                self._add_to_trader_group(user["Username"])
                log.info("dashboard login created for a new trader", extra={"user_pool_id": self.user_pool_id})
                return Identity(_attributes(user)["sub"], IDENTITY_PROVIDER, created=True)
        if len(users) > 1:
            return Identity.unbound(EMAIL_AMBIGUOUS)
        user = users[0]
        attributes = _attributes(user)
        if attributes.get("email_verified", "").lower() != "true":
            return Identity.unbound(EMAIL_UNVERIFIED)
        if self._groups_of(user["Username"]) & STAFF_GROUPS:
            return Identity.unbound(STAFF_LOGIN)
        self._add_to_trader_group(user["Username"])
        return Identity(attributes["sub"], IDENTITY_PROVIDER)

    def _add_to_trader_group(self, username: str) -> None:
        self.client.admin_add_user_to_group(UserPoolId=self.user_pool_id, Username=username, GroupName=TRADER_GROUP)
