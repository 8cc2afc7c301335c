"""One function per Web API path. Each takes a `Call` and returns the `answer` (or raises ApiError).

Conventions (reference §1.6): parameters in the query string (names lower-case),
an optional JSON body whose fields (documented case) override them, lists as
comma-separated values or JSON arrays, group masks with `*` and `!`. Where the
docs leave paging of `get_batch` open, `offset`/`total` page it too.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from propfirm.mt5.auth import password_hash
from propfirm.sim import accounts as acc
from propfirm.sim.accounts import Account, TradeError
from propfirm.sim.market import LOT
from propfirm.sim.webapi import records
from propfirm.sim.world import World, to_decimal

if TYPE_CHECKING:
    from propfirm.sim.webapi.server import Session

PAGE_MAX = 100
MASK_MAX = 5000
DEALER_QUEUE_MAX = 128
FLAG_SKIP_MARGIN_CHECK = 0x400
NO_ANSWER = object()  # the reply is just {"retcode": "0 Done"}


class ApiError(Exception):
    def __init__(self, retcode: int, message: str = "") -> None:
        super().__init__(message or str(retcode))
        self.retcode = retcode


@dataclass
class Call:
    world: World
    params: dict[str, str]
    body: Any
    session: Session
    result_ttl: float = 180.0
    extra: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.params.get(name, default)

    def required(self, name: str) -> str:
        value = self.params.get(name)
        if value is None or value == "":
            raise ApiError(3, f"parameter {name!r} is required")
        return value

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self.params.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except ValueError:
            raise ApiError(3, f"parameter {name!r} must be an integer") from None

    def body_dict(self) -> dict[str, Any]:
        return self.body if isinstance(self.body, dict) else {}


# ---- helpers ------------------------------------------------------------------------------------
def _mask_regex(mask: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(part) for part in mask.split("*")) + "$", re.IGNORECASE)


def split_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def match_groups(world: World, masks: Iterable[str]) -> list[str]:
    """The names of the groups a mask list selects (`*` wildcard, `!` excludes), sorted."""
    include, exclude = [], []
    for mask in masks:
        (exclude if mask.startswith("!") else include).append(_mask_regex(mask.lstrip("!")))
    names = []
    for group in world.groups.values():
        if any(p.match(group.name) for p in include) and not any(p.match(group.name) for p in exclude):
            names.append(group.name)
    return sorted(names, key=str.lower)


def _logins(values: list[str]) -> list[int]:
    try:
        return [int(v) for v in values]
    except ValueError:
        raise ApiError(3, "logins must be integers") from None


def _list_param(call: Call, name: str) -> list[str]:
    """A list from the query (`a,b,c`) or from the JSON body (`{"login": [..]}` or a bare array)."""
    body = call.body
    if isinstance(body, dict):
        for key, value in body.items():
            if key.lower() == name:
                return split_list(value)
    return split_list(call.params.get(name))


def _selected_accounts(call: Call, allow_ticket: bool = False) -> tuple[str, list[Account]]:
    """The accounts named by `login=` or selected by `group=` masks (exactly one of them)."""
    logins = _list_param(call, "login")
    groups = _list_param(call, "group")
    tickets = _list_param(call, "ticket") if allow_ticket else []
    if sum(bool(x) for x in (logins, groups, tickets)) != 1:
        raise ApiError(3, "give exactly one of login, group" + (", ticket" if allow_ticket else ""))
    world = call.world
    if logins:
        found = [world.accounts[login] for login in dict.fromkeys(_logins(logins)) if login in world.accounts]
        return "login", found
    if groups:
        return "group", list(world.accounts_in_groups(match_groups(world, groups)))
    return "ticket", []


def _page(call: Call, items: list[Any], cap: int | None = None) -> list[Any]:
    offset = call.integer("offset", 0) or 0
    total = call.integer("total")
    if offset < 0 or (total is not None and total < 0):
        raise ApiError(3, "offset and total must not be negative")
    if cap is not None:
        total = cap if total is None else min(total, cap)
    end = None if total is None else offset + total
    return items[offset:end]


def _period(call: Call, required: bool) -> tuple[int | None, int | None]:
    lo = call.integer("from")
    hi = call.integer("to")
    if required and (lo is None or hi is None):
        raise ApiError(3, "from and to are required")
    return lo, hi


def _account(call: Call) -> Account:
    login = call.integer("login")
    if login is None:
        raise ApiError(3, "parameter 'login' is required")
    account = call.world.accounts.get(login)
    if account is None:
        raise ApiError(13, f"account {login} not found")
    return account


def _account_record(world: World, account: Account) -> dict[str, Any]:
    group = world.groups[account.group.lower()]
    state = world._state(account)
    return records.account_record(state, group.margin_call, group.margin_stop_out)


def _time_text(world: World, moment: datetime) -> str:
    wall = world.zone.wall(moment)
    return f"{world.zone.to_server(moment)} {wall:%Y.%m.%d %H:%M:%S}"


# ---- service endpoints ----------------------------------------------------------------------------
def test_access(call: Call) -> Any:
    return NO_ANSWER


def time_server(call: Call) -> Any:
    return {"Time": _time_text(call.world, call.world.now())}


def time_get(call: Call) -> Any:
    world = call.world
    now = world.now()
    # EnTimeTableMode per hour, Sunday first: 1 trading, 0 closed (the weekend)
    days = [["1" if weekday not in (0, 6) else "0" for _ in range(24)] for weekday in range(7)]
    return {
        "Daylight": "1" if world.zone.has_dst() else "0",
        "DaylightState": "1" if world.zone.in_dst(now) else "0",
        "TimeZone": str(world.zone.standard_offset_minutes(now)),
        "TimeServer": "",
        "Days": days,
    }


def common_get(call: Call) -> Any:
    world = call.world
    return {
        "Name": "Propfirm MT5 Simulator",
        "Owner": "Propfirm",
        "OwnerID": "propfirm-sim",
        "OwnerHost": "127.0.0.1",
        "OwnerEmail": "",
        "Product": "MetaTrader 5 (simulated)",
        "ExpirationLicense": "0",
        "ExpirationSupport": "0",
        "LimitTradeServers": "1",
        "LimitWebServers": "1",
        "LimitAccounts": "1000000",
        "LimitDeals": "0",
        "LimitSymbols": "0",
        "LimitGroups": "0",
        "TotalUsers": str(len(world.accounts)),
        "TotalUsersReal": "0",
        "TotalDeals": str(len(world.deals)),
        "TotalOrders": "0",
        "TotalOrdersHistory": str(len(world.deals)),
        "TotalPositions": str(len(world.positions)),
    }


def group_get(call: Call) -> Any:
    world = call.world
    name = call.get("group")
    mask = call.get("mask")
    if name:
        group = world.groups.get(name.lower())
        if group is None:
            raise ApiError(13, f"group {name!r} not found")
        return records.group_record(world, group)
    if mask:
        names = match_groups(world, split_list(mask))
        if len(names) > MASK_MAX:
            raise ApiError(14)
        return [records.group_record(world, world.groups[n.lower()]) for n in names]
    raise ApiError(3, "give group or mask")


# ---- users --------------------------------------------------------------------------------------
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


def _check_password(password: str) -> None:
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
    _check_password(main)
    investor = fields.get("PassInvestor", "")
    if investor:
        _check_password(investor)
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
    account = _account(call)
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
    _check_password(password)
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
    call.world.delete_account(_account(call).login)
    return NO_ANSWER


def user_get(call: Call) -> Any:
    return records.user_record(call.world, _account(call))


def user_group(call: Call) -> Any:
    return {"Group": _account(call).group}


def user_get_batch(call: Call) -> Any:
    _, found = _selected_accounts(call)
    return [records.user_record(call.world, a) for a in _page(call, found)]


def user_logins(call: Call) -> Any:
    masks = _list_param(call, "group")
    if not masks:
        raise ApiError(3, "group is required")
    world = call.world
    return [str(a.login) for a in _page(call, list(world.accounts_in_groups(match_groups(world, masks))))]


def user_total(call: Call) -> Any:
    return {"Total": str(len(call.world.accounts))}


def user_account_get(call: Call) -> Any:
    return _account_record(call.world, _account(call))


def user_account_get_batch(call: Call) -> Any:
    _, found = _selected_accounts(call)
    world = call.world
    return [_account_record(world, a) for a in _page(call, found)]


# ---- positions ----------------------------------------------------------------------------------
def _symbol_filter(call: Call) -> set[str] | None:
    symbols = split_list(call.get("symbol"))
    return set(symbols) if symbols else None


def position_get_batch(call: Call) -> Any:
    world = call.world
    kind, found = _selected_accounts(call, allow_ticket=True)
    symbols = _symbol_filter(call)
    if kind == "ticket":
        try:
            tickets = [int(t) for t in _list_param(call, "ticket")]
        except ValueError:
            raise ApiError(3, "tickets must be integers") from None
        positions = [world.positions[t] for t in dict.fromkeys(tickets) if t in world.positions]
    else:
        positions = [p for a in found for p in a.positions.values()]
    if symbols:
        positions = [p for p in positions if p.symbol in symbols]
    return [records.position_record(world, p) for p in _page(call, positions)]


def position_get(call: Call) -> Any:
    account = _account(call)
    symbol = call.required("symbol")
    for position in account.positions.values():
        if position.symbol == symbol:
            return records.position_record(call.world, position)
    raise ApiError(13, "no position")


def position_get_total(call: Call) -> Any:
    return {"Total": str(len(_account(call).positions))}


def position_get_page(call: Call) -> Any:
    account = _account(call)
    positions = list(account.positions.values())
    return [records.position_record(call.world, p) for p in _page(call, positions, cap=PAGE_MAX)]


# ---- deals --------------------------------------------------------------------------------------
def deal_get(call: Call) -> Any:
    ticket = call.integer("ticket")
    if ticket is None:
        raise ApiError(3, "ticket is required")
    deal = call.world.deals.get(ticket)
    if deal is None:
        raise ApiError(13, f"deal {ticket} not found")
    return records.deal_record(call.world, deal)


def deal_get_batch(call: Call) -> Any:
    world = call.world
    kind, found = _selected_accounts(call, allow_ticket=True)
    symbols = _symbol_filter(call)
    if kind == "ticket":
        try:
            tickets = [int(t) for t in _list_param(call, "ticket")]
        except ValueError:
            raise ApiError(3, "tickets must be integers") from None
        deals = [world.deals[t] for t in dict.fromkeys(tickets) if t in world.deals]
    else:
        lo, hi = _period(call, required=True)
        deals = [d for a in found for d in world.deals_of(a, lo, hi)]
    if symbols:
        deals = [d for d in deals if d.symbol in symbols]
    return [records.deal_record(world, d) for d in _page(call, deals)]


def deal_get_total(call: Call) -> Any:
    account = _account(call)
    lo, hi = _period(call, required=True)
    return {"Total": str(len(call.world.deals_of(account, lo, hi)))}


def deal_get_page(call: Call) -> Any:
    account = _account(call)
    lo, hi = _period(call, required=True)
    deals = call.world.deals_of(account, lo, hi)
    return [records.deal_record(call.world, d) for d in _page(call, deals, cap=PAGE_MAX)]


# ---- money and dealing --------------------------------------------------------------------------
def trade_balance(call: Call) -> Any:
    account = _account(call)
    kind = call.integer("type")
    if kind is None:
        raise ApiError(3, "type is required")
    amount = call.required("balance")
    comment = call.get("comment", "") or ""
    check = call.get("check_margin", "1") not in ("0", "false", "False")
    ticket = call.world.balance(account.login, to_decimal(amount), kind, comment, check_margin=check)
    return {"Ticket": str(ticket)}


@dataclass
class DealerRequest:
    id: int
    created: float
    request: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    done: bool = False


def dealer_send_request(call: Call) -> Any:
    body = call.body_dict()
    if not body:
        raise ApiError(3, "the trade request must be a JSON object in the body")
    try:
        action = int(body.get("Action", 0))
    except (TypeError, ValueError):
        raise ApiError(3, "Action must be an integer") from None
    if not 200 <= action <= 255:
        raise ApiError(3, "only dealer actions (200-255) can be sent")
    if action != 200:
        raise ApiError(12002, "the simulator executes TA_DEALER_POS_EXECUTE (200) only")
    session = call.session
    session.expire_requests(call.result_ttl)
    if sum(1 for r in session.requests.values() if not r.done) >= DEALER_QUEUE_MAX:
        raise ApiError(10024)
    request = DealerRequest(id=session.next_request_id(), created=time.monotonic(), request=dict(body))
    session.requests[request.id] = request
    if not call.extra.get("hold"):
        execute_dealer_request(call.world, request, session.login)
    return {"ID": str(request.id)}


def _volume(body: dict[str, Any]) -> int:
    try:
        if body.get("VolumeExt") not in (None, "", "0", 0):
            ext = int(body["VolumeExt"])
            if ext % (10**8 // LOT):
                raise TradeError(10014, "VolumeExt finer than the simulator's 0.0001 lot")
            return ext // (10**8 // LOT)
        return int(body.get("Volume", 0))
    except (TypeError, ValueError):
        raise TradeError(10014, "invalid volume") from None


def execute_dealer_request(world: World, request: DealerRequest, dealer: int) -> None:
    """Carry out a TA_DEALER_POS_EXECUTE: close `Position` if given, else open a position."""
    body = request.request
    retcode, deal, order, price, volume, comment = 10009, 0, 0, Decimal(0), 0, "Request executed"
    position_ticket = 0
    with world.lock:
        try:
            login = int(body.get("Login", 0))
            if login not in world.accounts:
                raise TradeError(10013, f"account {login} not found")
            symbol = str(body.get("Symbol", ""))
            side = int(body.get("Type", -1))
            if side not in (0, 1):
                raise TradeError(10013, "Type must be 0 (buy) or 1 (sell)")
            volume = _volume(body)
            if volume <= 0:
                raise TradeError(10014, "invalid volume")
            price_order = body.get("PriceOrder") or None
            position_ticket = int(body.get("Position", 0) or 0)
            flags = int(body.get("Flags", 0) or 0)
            comment_in = str(body.get("Comment", "") or "")
            if position_ticket:
                position = world.accounts[login].positions.get(position_ticket)
                if position is None:
                    raise TradeError(10036, f"position {position_ticket} is not open")
                if symbol and symbol != position.symbol:
                    raise TradeError(10013, "Symbol does not match the position")
                if side == position.action:
                    raise TradeError(10013, "Type must be opposite to the position to close it")
                deal = world.close_position(
                    login,
                    position_ticket,
                    Decimal(volume) / LOT,
                    price_order,
                    comment=comment_in,
                    dealer=dealer,
                )
            else:
                if not symbol:
                    raise TradeError(10013, "Symbol is required")
                position_ticket = world.open_position(
                    login,
                    symbol,
                    side,
                    Decimal(volume) / LOT,
                    price_order,
                    comment=comment_in,
                    check_margin=not flags & FLAG_SKIP_MARGIN_CHECK,
                    dealer=dealer,
                )
                deal = world.accounts[login].deals[-1].ticket
            made = world.deals[deal]
            order, price = made.order, made.price
        except TradeError as exc:
            retcode, comment = exc.retcode, exc.message
        except (TypeError, ValueError):
            retcode, comment = 10013, "invalid request fields"
    result = {
        "ID": str(request.id),
        "Retcode": str(retcode),
        "DealID": str(deal),
        "OrderID": str(order),
        "Price": str(price),
        "Volume": str(volume if retcode == 10009 else 0),
        "VolumeExt": str((volume if retcode == 10009 else 0) * (10**8 // LOT)),
        "Comment": comment,
    }
    answer = {
        key: str(value) if not isinstance(value, (dict, list)) else value for key, value in body.items()
    }
    answer.update(
        {
            "ID": str(request.id),
            "ResultRetcode": str(retcode),
            "ResultDealer": str(dealer),
            "ResultDeal": str(deal),
            "ResultOrder": str(order),
            "ResultVolume": result["Volume"],
            "ResultVolumeExt": result["VolumeExt"],
            "ResultPrice": str(price),
            "ResultComment": comment,
            "Position": str(position_ticket),
        }
    )
    request.events.append({"result": result, "answer": answer})
    request.done = True


def dealer_get_request_result(call: Call) -> Any:
    session = call.session
    session.expire_requests(call.result_ttl)
    if not call.extra.get("hold"):
        for request in list(session.requests.values()):
            if not request.done:
                execute_dealer_request(call.world, request, session.login)
    ids = split_list(call.get("id"))
    if not ids:
        return {str(r.id): r.events for r in session.requests.values() if r.events}
    wanted = _logins(ids)
    known = {i: session.requests[i] for i in wanted if i in session.requests}
    if not known:
        raise ApiError(13, "no such request on this connection")
    return {str(i): r.events for i, r in known.items()}


ROUTES: dict[str, Callable[[Call], Any]] = {
    "/api/test/access": test_access,
    "/api/time/server": time_server,
    "/api/time/get": time_get,
    "/api/common/get": common_get,
    "/api/group/get": group_get,
    "/api/user/add": user_add,
    "/api/user/update": user_update,
    "/api/user/get": user_get,
    "/api/user/delete": user_delete,
    "/api/user/change_password": user_change_password,
    "/api/user/check_password": user_check_password,
    "/api/user/group": user_group,
    "/api/user/get_batch": user_get_batch,
    "/api/user/logins": user_logins,
    "/api/user/total": user_total,
    "/api/user/account/get": user_account_get,
    "/api/user/account/get_batch": user_account_get_batch,
    "/api/position/get": position_get,
    "/api/position/get_batch": position_get_batch,
    "/api/position/get_total": position_get_total,
    "/api/position/get_page": position_get_page,
    "/api/deal/get": deal_get,
    "/api/deal/get_batch": deal_get_batch,
    "/api/deal/get_total": deal_get_total,
    "/api/deal/get_page": deal_get_page,
    "/api/trade/balance": trade_balance,
    "/api/dealer/send_request": dealer_send_request,
    "/api/dealer/get_request_result": dealer_get_request_result,
}
