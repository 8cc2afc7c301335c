"""A contract fake of the `MT5Manager` package, for tests on Linux only.

It has exactly the calls `propfirm.mt5.manager.CALLS` lists, with the stub's
parameter names (checked by test_manager_stub.py), and answers them from the
simulator's in-memory `World`, so the Manager API gateway runs the same
contract tests as the Web API gateway. Records are attribute objects carrying
only the attributes the stub declares for their class, with the API's Python
types (ints, floats for money and prices, strings). Failures follow the API's
convention: the call returns False (or None) and `LastError()` explains.

`FakeModule.fail_next(count, retcode)` makes the next calls fail with a network
code, to exercise the gateway's retries; `lose_reply_of` names calls that do
their work and then report a network error (a lost reply); `hold_dealer = True`
keeps dealer results from being delivered until `release_dealer()`.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

from propfirm.mt5.auth import password_hash
from propfirm.sim.accounts import TradeError
from propfirm.sim.webapi import endpoints, records
from propfirm.sim.world import World

from tests.integration.mt5.mt5manager_stub import checked_in

_STUB = checked_in()
_STRINGS = {
    "Group",
    "Name",
    "FirstName",
    "LastName",
    "MiddleName",
    "EMail",
    "Comment",
    "Symbol",
    "Currency",
    "Company",
    "Country",
    "City",
    "State",
    "ZIPCode",
    "Address",
    "Phone",
    "ID",
    "Status",
    "Account",
    "LastIP",
    "MQID",
    "LeadSource",
    "LeadCampaign",
    "ExternalID",
    "Gateway",
    "PhonePassword",
    "CertSerialNumber",
    "Server",
}
_RENAMES = {"Email": "EMail"}


class Record:
    """An MT5Manager record: attributes only (MTUser, MTAccount, …)."""

    def __init__(self, *_manager: Any, **fields: Any) -> None:
        self.__dict__.update(fields)

    def __repr__(self) -> str:
        return f"Record({self.__dict__!r})"


def _typed(kind: str, document: dict[str, Any]) -> Record:
    allowed = set(_STUB["classes"][kind])
    fields: dict[str, Any] = {}
    for key, value in document.items():
        key = _RENAMES.get(key, key)
        if key not in allowed or isinstance(value, (list, dict)):
            continue
        if key in _STRINGS or not isinstance(value, str):
            fields[key] = value
        else:
            try:
                fields[key] = float(value) if "." in value else int(value)
            except ValueError:
                fields[key] = value
    return Record(**fields)


class FakeModule:
    """Stands in for `import MT5Manager`: ManagerAPI, LastError, MTUser, MTRequest."""

    def __init__(self, world: World, login: int, password: str) -> None:
        self.world = world
        self.login = login
        self.password = password
        self.last_error: tuple[int, int, str] = (0, 0, "Done")
        self.failures: list[int] = []
        self.lose_reply_of: set[str] = set()  # these calls do their work, then report a network error
        self.hold_dealer = False
        self.held: list[tuple[Any, Any]] = []
        module = self

        class ManagerAPI(_FakeManagerAPI):
            _module = module

        self.ManagerAPI = ManagerAPI
        self.MTUser = Record
        self.MTRequest = Record

    def LastError(self) -> tuple[int, int, str]:  # noqa: N802 - the package's name
        return self.last_error

    def fail_next(self, count: int, retcode: int = 7) -> None:
        self.failures.extend([retcode] * count)

    def release_dealer(self) -> None:
        self.hold_dealer = False
        held, self.held = self.held, []
        for request, sink in held:
            _execute(self, request, sink)


class _FakeManagerAPI:
    _module: FakeModule

    def __init__(self, *data_dir: str) -> None:
        self.connected = False

    # -- plumbing -------------------------------------------------------------------------------
    def _fail(self, retcode: int, text: str = "") -> bool:
        self._module.last_error = (-1, retcode, text or f"error {retcode}")
        return False

    def _ok(self) -> bool:
        """False (with LastError set) when a network failure is due or the API is not connected."""
        if self._module.failures:
            return self._fail(self._module.failures.pop(0), "Network error")
        if not self.connected:
            return self._fail(10, "No connection")
        self._module.last_error = (0, 0, "Done")
        return True

    def _reply(self, method: str, value: Any) -> Any:
        if method in self._module.lose_reply_of:
            self._module.lose_reply_of.discard(method)
            return self._fail(7, "Network error")
        return value

    @property
    def _world(self) -> World:
        return self._module.world

    def _accounts(self, group: str) -> list[Any]:
        return list(self._world.accounts_in_groups(endpoints.match_groups(self._world, [group])))

    # -- the calls the gateway makes --------------------------------------------------------------
    def Connect(self, server, login, password, pump_mode, timeout):  # noqa: N802
        if self._module.failures:
            return self._fail(self._module.failures.pop(0), "Network error")
        if int(login) != self._module.login or password != self._module.password:
            return self._fail(1001, "Invalid account")
        self.connected = True
        return True

    def Disconnect(self):  # noqa: N802
        self.connected = False
        return True

    def TimeServerRequest(self):  # noqa: N802
        return self._world.server_time() if self._ok() else False

    def TimeGet(self):  # noqa: N802
        if not self._ok():
            return None
        world = self._world
        now = world.now()
        return _typed(
            "MTConTime",
            {
                "TimeZone": str(world.zone.standard_offset_minutes(now)),
                "Daylight": "1" if world.zone.has_dst(now) else "0",
                "DaylightState": "1" if world.zone.in_dst(now) else "0",
            },
        )

    def GroupRequestArray(self, mask):  # noqa: N802
        if not self._ok():
            return None
        world = self._world
        names = endpoints.match_groups(world, endpoints.split_list(mask))
        return [_typed("MTConGroup", records.group_record(world, world.groups[n.lower()])) for n in names]

    def UserAccountGetByGroup(self, group):  # noqa: N802
        if not self._ok():
            return None
        with self._world.lock:
            result = []
            for account in self._accounts(group):
                config = self._world.groups[account.group.lower()]
                state = self._world.state(account.login)
                result.append(
                    _typed(
                        "MTAccount", records.account_record(state, config.margin_call, config.margin_stop_out)
                    )
                )
            return result

    def UserAccountRequest(self, login):  # noqa: N802
        if not self._ok():
            return None
        with self._world.lock:
            account = self._world.accounts.get(int(login))
            if account is None:
                return self._fail(13, "Not found")
            config = self._world.groups[account.group.lower()]
            state = self._world.state(account.login)
            return _typed("MTAccount", records.account_record(state, config.margin_call, config.margin_stop_out))

    def UserGetByGroup(self, group):  # noqa: N802
        if not self._ok():
            return None
        with self._world.lock:
            return [_typed("MTUser", records.user_record(self._world, a)) for a in self._accounts(group)]

    def UserRequest(self, login):  # noqa: N802
        if not self._ok():
            return None
        account = self._world.accounts.get(int(login))
        if account is None:
            return self._fail(13, "Not found")
        return _typed("MTUser", records.user_record(self._world, account))

    def UserAdd(self, user, master, investor):  # noqa: N802
        if not self._ok():
            return False
        for password in (master, investor):
            try:
                endpoints._check_password(password)
            except endpoints.ApiError as exc:
                return self._fail(exc.retcode)
        if not 1 <= int(user.Leverage) <= 500:
            return self._fail(3, "Invalid parameters")
        try:
            login = self._world.create_account(
                user.Group,
                leverage=int(user.Leverage),
                login=int(user.Login) or None,
                rights=int(user.Rights),
                password=master,
                investor_password=investor,
                first_name=user.FirstName,
                last_name=user.LastName,
                name=user.Name,
                email=user.EMail,
                comment=user.Comment,
            )
        except TradeError as exc:
            return self._fail(exc.retcode, exc.message)
        user.Login = login  # the API writes the allocated login back
        return self._reply("UserAdd", True)

    def UserUpdate(self, user):  # noqa: N802
        if not self._ok():
            return False
        world = self._world
        account = world.accounts.get(int(user.Login))
        if account is None:
            return self._fail(13, "Not found")
        try:
            if str(user.Group).lower() != account.group.lower():
                world.move_account(account.login, str(user.Group))
        except TradeError as exc:
            return self._fail(exc.retcode, exc.message)
        if 1 <= int(user.Leverage) <= 500:  # invalid values are left unchanged, like MT5
            account.leverage = int(user.Leverage)
        world.set_rights(account.login, int(user.Rights))
        return True

    def UserPasswordChange(self, type, login, password):  # noqa: N802, A002 - the stub's names
        if not self._ok():
            return False
        account = self._world.accounts.get(int(login))
        if account is None:
            return self._fail(13, "Not found")
        try:
            endpoints._check_password(password)
        except endpoints.ApiError as exc:
            return self._fail(exc.retcode)
        if int(type) == 0:
            account.password_hash = password_hash(password)
        else:
            account.investor_hash = password_hash(password)
        return True

    def PositionGetByGroup(self, group):  # noqa: N802
        if not self._ok():
            return None
        with self._world.lock:
            return [
                _typed("MTPosition", records.position_record(self._world, p))
                for a in self._accounts(group)
                for p in a.positions.values()
            ]

    def PositionRequestByLogins(self, login_list):  # noqa: N802
        if not self._ok():
            return None
        world = self._world
        with world.lock:
            return [
                _typed("MTPosition", records.position_record(world, p))
                for login in login_list
                if login in world.accounts
                for p in world.accounts[login].positions.values()
            ]

    def DealRequestByGroup(self, group, from_date, to_date):  # noqa: N802
        if not self._ok():
            return None
        world = self._world
        with world.lock:
            return [
                _typed("MTDeal", records.deal_record(world, d))
                for a in self._accounts(group)
                for d in world.deals_of(a, int(from_date), int(to_date))
            ]

    def DealRequestByLogins(self, login_list, from_date, to_date):  # noqa: N802
        if not self._ok():
            return None
        world = self._world
        with world.lock:
            return [
                _typed("MTDeal", records.deal_record(world, d))
                for login in login_list
                if login in world.accounts
                for d in world.deals_of(world.accounts[login], int(from_date), int(to_date))
            ]

    def DealerBalance(self, login, value, type, comment):  # noqa: N802, A002
        if not self._ok():
            return False
        if int(login) not in self._world.accounts:
            return self._fail(13, "Not found")
        try:
            ticket = self._world.balance(int(login), Decimal(repr(float(value))), int(type), comment)
        except TradeError as exc:
            return self._fail(exc.retcode, exc.message)
        return self._reply("DealerBalance", ticket)

    def DealerSend(self, request, sink):  # noqa: N802
        if not self._ok():
            return False
        if self._module.hold_dealer:
            self._module.held.append((request, sink))
        else:  # the API answers on its own thread
            threading.Thread(target=_execute, args=(self._module, request, sink), daemon=True).start()
        return True


def _execute(module: FakeModule, request: Any, sink: Any) -> None:
    world = module.world
    deal, price, retcode = 0, 0.0, 10009
    try:
        position = world.accounts[int(request.Login)].positions.get(int(request.Position))
        if position is None:
            raise TradeError(10036, "position closed")
        if int(request.Type) == position.action:
            raise TradeError(10013, "Type must be opposite")
        deal = world.close_position(
            int(request.Login), int(request.Position), Decimal(int(request.VolumeExt)) / Decimal(10**8)
        )
        price = float(world.deals[deal].price)
    except TradeError as exc:
        retcode = exc.retcode
    sink.OnDealerResult(Record(Retcode=retcode, DealID=deal, Price=price, ID=1))


def module_for(world: World, login: int, password: str) -> FakeModule:
    return FakeModule(world, login, password)
