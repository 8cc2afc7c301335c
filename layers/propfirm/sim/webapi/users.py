"""User endpoints: add, update, delete, passwords, reads and batches of users and account states."""

from __future__ import annotations

import re
from typing import Any

from propfirm.mt5.auth import password_hash
from propfirm.sim import accounts as acc
from propfirm.sim.accounts import Account
from propfirm.sim.webapi import records
from propfirm.sim.webapi.calls import (
    NO_ANSWER,
    ApiError,
    Call,
    account_of,
    list_param,
    match_groups,
    page,
    selected_accounts,
)
from propfirm.sim.world import World


def account_record_of(world: World, account: Account) -> dict[str, Any]:
    group = world.groups[account.group.lower()]
    state = world._state(account)
    return records.account_record(state, group.margin_call, group.margin_stop_out)


_QUERY_TO_FIELD = {
    "login": "Login",
    "group": "Group",
    "name": "Name",
    "first_name": "FirstName",
    "firstname": "FirstName",
    "last_name": "LastName",
    "lastname": "LastName",
    "leverage": "Leverage",
    "rights": "Rights",
    "email": "Email",
    "comment": "Comment",
    "pass_main": "PassMain",
    "pass_investor": "PassInvestor",
    "country": "Country",
    "city": "City",
    "phone": "Phone",
    "company": "Company",
    "state": "State",
    "zipcode": "ZIPCode",
    "address": "Address",
    "id": "ID",
    "status": "Status",
    "color": "Color",
    "middle_name": "MiddleName",
    "language": "Language",
    "agent": "Agent",
    "leadsource": "LeadSource",
    "leadcampaign": "LeadCampaign",
    "lead_source": "LeadSource",
    "lead_campaign": "LeadCampaign",
    "mqid": "MQID",
    "trade_accounts": "TradeAccounts",
    "tradeaccounts": "TradeAccounts",
    "limit_orders": "LimitOrders",
    "limitorders": "LimitOrders",
    "limit_positions": "LimitPositions",
    "limitpositions": "LimitPositions",
    "account": "Account",
}
_EXTRA_FIELDS = (
    "MiddleName",
    "Company",
    "Account",
    "Country",
    "Language",
    "City",
    "State",
    "ZIPCode",
    "Address",
    "Phone",
    "ID",
    "Status",
    "Color",
    "Agent",
    "LeadSource",
    "LeadCampaign",
    "MQID",
    "TradeAccounts",
    "LimitOrders",
    "LimitPositions",
)


def _user_fields(call: Call) -> dict[str, str]:
    """User fields from the query (lower-case names), overridden by the JSON body (documented case)."""
    fields: dict[str, str] = {}
    for key, value in call.params.items():
        name = _QUERY_TO_FIELD.get(key.lower())
        if name:
            fields[name] = value
    for key, value in call.body_dict().items():
        if isinstance(value, (dict, list)):
            continue
        fields[key] = "" if value is None else str(value)
    return fields


_PASSWORD_CLASSES = (
    re.compile(r"[a-z]"),
    re.compile(r"[A-Z]"),
    re.compile(r"[0-9]"),
    re.compile(r"[^a-zA-Z0-9]"),
)


def check_password(password: str) -> None:
    if not 8 <= len(password) <= 16 or not all(p.search(password) for p in _PASSWORD_CLASSES):
        raise ApiError(
            3006, "a password needs 8-16 characters with lower case, upper case, digits and symbols"
        )


def _int_field(fields: dict[str, str], name: str) -> int | None:
    value = fields.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise ApiError(3, f"{name} must be an integer") from None


def user_add(call: Call) -> Any:
    world = call.world
    fields = _user_fields(call)
    group = fields.get("Group", "")
    if not group:
        raise ApiError(3, "Group is required")
    if group.lower() not in world.groups:
        raise ApiError(8, f"group {group!r} does not exist or is not allowed")
    first, last, name = fields.get("FirstName", ""), fields.get("LastName", ""), fields.get("Name", "")
    if not (first or last or name):
        raise ApiError(3, "a name is required (Name, FirstName or LastName)")
    leverage = _int_field(fields, "Leverage")
    if leverage is not None and not 1 <= leverage <= 500:
        raise ApiError(3, "Leverage must be within 1-500")
    login = _int_field(fields, "Login") or 0
    if login < 0:
        raise ApiError(3, "Login must be positive")
    if login and login in world.accounts:
        raise ApiError(3004)
    main = fields.get("PassMain", "")
    if not main:
        raise ApiError(3, "PassMain is required")
    check_password(main)
    investor = fields.get("PassInvestor", "")
    if investor:
        check_password(investor)
    rights = _int_field(fields, "Rights")
    new_login = world.create_account(
        group,
        balance=0,
        leverage=leverage,
        login=login or None,
        rights=acc.DEFAULT_RIGHTS if rights is None else rights,
        password=main,
        investor_password=investor or None,
        first_name=first,
        last_name=last,
        name=name,
        email=fields.get("Email", ""),
        comment=fields.get("Comment", ""),
        extra={k: fields[k] for k in _EXTRA_FIELDS if k in fields},
    )
    return records.user_record(world, world.accounts[new_login])


def user_update(call: Call) -> Any:
    world = call.world
    fields = _user_fields(call)
    login = _int_field(fields, "Login")
    if login is None:
        raise ApiError(3, "login is required")
    account = world.accounts.get(login)
    if account is None:
        raise ApiError(13, f"account {login} not found")
    group = fields.get("Group")
    if group and group.lower() != account.group.lower():
        world.move_account(login, group)
    for name, attr in (
        ("FirstName", "first_name"),
        ("LastName", "last_name"),
        ("Name", "name"),
        ("Email", "email"),
        ("Comment", "comment"),
    ):
        if name in fields:
            setattr(account, attr, fields[name])
    # invalid values are silently left unchanged, as the docs say
    try:
        rights = _int_field(fields, "Rights")
        if rights is not None and rights >= 0:
            account.rights = rights
    except ApiError:
        pass
    try:
        leverage = _int_field(fields, "Leverage")
        if leverage is not None and 1 <= leverage <= 500:
            account.leverage = leverage
    except ApiError:
        pass
    for name in _EXTRA_FIELDS:
        if name in fields:
            account.extra[name] = fields[name]
    return records.user_record(world, account)


def _password_params(call: Call) -> tuple[Account, str, str]:
    account = account_of(call)
    kind = (call.get("type") or "main").lower()
    if kind not in ("main", "investor", "api"):
        raise ApiError(3, "type must be main, investor or api")
    password = call.get("password") or ""
    for key, value in call.body_dict().items():
        if key.lower() == "password" and value is not None:
            password = str(value)
    if not password:
        raise ApiError(3, "password is required")
    return account, kind, password


def user_change_password(call: Call) -> Any:
    account, kind, password = _password_params(call)
    check_password(password)
    if kind == "investor":
        account.investor_hash = password_hash(password)
    else:  # the simulator keeps one hash for the main and the API password
        account.password_hash = password_hash(password)
    account.last_pass_change = call.world.now()
    return NO_ANSWER


def user_check_password(call: Call) -> Any:
    account, kind, password = _password_params(call)
    stored = account.investor_hash if kind == "investor" else account.password_hash
    if not stored or password_hash(password) != stored:
        raise ApiError(3006)
    return NO_ANSWER


def user_delete(call: Call) -> Any:
    call.world.delete_account(account_of(call).login)
    return NO_ANSWER


def user_get(call: Call) -> Any:
    return records.user_record(call.world, account_of(call))


def user_group(call: Call) -> Any:
    return {"Group": account_of(call).group}


def user_get_batch(call: Call) -> Any:
    _, found = selected_accounts(call)
    return [records.user_record(call.world, a) for a in page(call, found)]


def user_logins(call: Call) -> Any:
    masks = list_param(call, "group")
    if not masks:
        raise ApiError(3, "group is required")
    world = call.world
    return [str(a.login) for a in page(call, list(world.accounts_in_groups(match_groups(world, masks))))]


def user_total(call: Call) -> Any:
    return {"Total": str(len(call.world.accounts))}


def user_account_get(call: Call) -> Any:
    return account_record_of(call.world, account_of(call))


def user_account_get_batch(call: Call) -> Any:
    _, found = selected_accounts(call)
    world = call.world
    return [account_record_of(world, a) for a in page(call, found)]
