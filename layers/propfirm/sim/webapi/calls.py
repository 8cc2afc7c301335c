"""What every endpoint shares: the call (parameters, body, session), errors, lists, masks, paging.

Conventions (reference §1.6): parameters in the query string (names lower-case),
an optional JSON body whose fields (documented case) override them, lists as
comma-separated values or JSON arrays in the body (`{"login": [1, 2]}`), group
masks with `*` and `!`. Where the docs leave paging of `get_batch` open,
`offset`/`total` page it too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from propfirm.sim.accounts import Account
from propfirm.sim.world import World

if TYPE_CHECKING:
    from propfirm.sim.webapi.server import Session

PAGE_MAX = 100
MASK_MAX = 5000
NO_ANSWER = object()  # the reply is just {"retcode": "0 Done"}


@dataclass(frozen=True)
class WithFields:
    """An answer plus fields beside it at the top level (`/api/tick/last` adds `trans_id`)."""

    answer: Any
    fields: dict[str, str]


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
    include: list[re.Pattern[str]] = []
    exclude: list[re.Pattern[str]] = []
    for mask in masks:
        (exclude if mask.startswith("!") else include).append(_mask_regex(mask.lstrip("!")))
    names = []
    for group in world.groups.values():
        if any(p.match(group.name) for p in include) and not any(p.match(group.name) for p in exclude):
            names.append(group.name)
    return sorted(names, key=str.lower)


def parse_logins(values: list[str]) -> list[int]:
    try:
        return [int(v) for v in values]
    except ValueError:
        raise ApiError(3, "logins must be integers") from None


def list_param(call: Call, name: str) -> list[str]:
    """A list from the query (`a,b,c`) or from the JSON body (`{"login": [..]}`)."""
    body = call.body
    if isinstance(body, dict):
        for key, value in body.items():
            if key.lower() == name:
                return split_list(value)
    return split_list(call.params.get(name))


def selected_accounts(call: Call, allow_ticket: bool = False) -> tuple[str, list[Account]]:
    """The accounts named by `login=` or selected by `group=` masks (exactly one of them)."""
    logins = list_param(call, "login")
    groups = list_param(call, "group")
    tickets = list_param(call, "ticket") if allow_ticket else []
    if sum(bool(x) for x in (logins, groups, tickets)) != 1:
        raise ApiError(3, "give exactly one of login, group" + (", ticket" if allow_ticket else ""))
    world = call.world
    if logins:
        found = [
            world.accounts[login] for login in dict.fromkeys(parse_logins(logins)) if login in world.accounts
        ]
        return "login", found
    if groups:
        return "group", list(world.accounts_in_groups(match_groups(world, groups)))
    return "ticket", []


def page(call: Call, items: list[Any], cap: int | None = None) -> list[Any]:
    """`offset`/`total` applied. The documentation leaves `total=0` and an absent `total` open; an empty
    page would hide records from a client asking for "all", so both mean "as many as allowed": the
    page's cap (100 on get_page), or everything where there is none."""
    offset = call.integer("offset", 0) or 0
    total = call.integer("total")
    if offset < 0 or (total is not None and total < 0):
        raise ApiError(3, "offset and total must not be negative")
    if total == 0:
        total = None
    if cap is not None:
        total = cap if total is None else min(total, cap)
    end = None if total is None else offset + total
    return items[offset:end]


def period(call: Call, required: bool) -> tuple[int | None, int | None]:
    lo = call.integer("from")
    hi = call.integer("to")
    if required and (lo is None or hi is None):
        raise ApiError(3, "from and to are required")
    return lo, hi


def account_of(call: Call) -> Account:
    login = call.integer("login")
    if login is None:
        raise ApiError(3, "parameter 'login' is required")
    account = call.world.accounts.get(login)
    if account is None:
        raise ApiError(13, f"account {login} not found")
    return account
