"""The routing table of the Web API: one function per path (see the modules they live in).

Each endpoint takes a `Call` (world, parameters, JSON body, session) and returns
the `answer`, or raises `ApiError`/`TradeError` with the return code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from propfirm.sim.webapi.calls import (  # noqa: F401 - re-exported for callers of this module
    MASK_MAX,
    NO_ANSWER,
    PAGE_MAX,
    ApiError,
    Call,
    WithFields,
    match_groups,
    split_list,
)
from propfirm.sim.webapi.daily import (
    daily_get,
    daily_get_batch,
    daily_get_light,
    daily_get_light_batch,
    daily_get_light_page,
    daily_get_page,
)
from propfirm.sim.webapi.dealer import (  # noqa: F401
    DEALER_QUEUE_MAX,
    DealerRequest,
    dealer_get_request_result,
    dealer_send_request,
    execute_dealer_request,
)
from propfirm.sim.webapi.groups import group_add, group_delete, group_next, group_total
from propfirm.sim.webapi.orders import (
    history_get,
    history_get_batch,
    history_get_page,
    history_get_total,
    order_delete,
    order_get,
    order_get_batch,
    order_get_page,
    order_get_total,
)
from propfirm.sim.webapi.prices import chart_get, symbol_get, symbol_list, symbol_next, symbol_total, tick_last
from propfirm.sim.webapi.service import common_get, group_get, test_access, time_get, time_server
from propfirm.sim.webapi.symbol_writes import symbol_add, symbol_delete
from propfirm.sim.webapi.trading import (
    deal_get,
    deal_get_batch,
    deal_get_page,
    deal_get_total,
    position_get,
    position_get_batch,
    position_get_page,
    position_get_total,
    trade_balance,
)
from propfirm.sim.webapi.users import (
    check_password,
    user_account_get,
    user_account_get_batch,
    user_add,
    user_change_password,
    user_check_password,
    user_delete,
    user_get,
    user_get_batch,
    user_group,
    user_logins,
    user_total,
    user_update,
)

_check_password = check_password  # the old private name, still used by a test fake

ROUTES: dict[str, Callable[[Call], Any]] = {
    "/api/test/access": test_access,
    "/api/time/server": time_server,
    "/api/time/get": time_get,
    "/api/common/get": common_get,
    "/api/group/get": group_get,
    "/api/group/add": group_add,
    "/api/group/delete": group_delete,
    "/api/group/total": group_total,
    "/api/group/next": group_next,
    "/api/symbol/get": symbol_get,
    "/api/symbol/list": symbol_list,
    "/api/symbol/total": symbol_total,
    "/api/symbol/next": symbol_next,
    "/api/symbol/add": symbol_add,
    "/api/symbol/delete": symbol_delete,
    "/api/tick/last": tick_last,
    "/api/chart/get": chart_get,
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
    "/api/order/get": order_get,
    "/api/order/get_total": order_get_total,
    "/api/order/get_page": order_get_page,
    "/api/order/get_batch": order_get_batch,
    "/api/order/delete": order_delete,
    "/api/order/cancel": order_delete,
    "/api/history/get": history_get,
    "/api/history/get_total": history_get_total,
    "/api/history/get_page": history_get_page,
    "/api/history/get_batch": history_get_batch,
    "/api/daily/get": daily_get,
    "/api/daily/get_batch": daily_get_batch,
    "/api/daily/get_page": daily_get_page,
    "/api/daily/get_light": daily_get_light,
    "/api/daily/get_light_batch": daily_get_light_batch,
    "/api/daily/get_light_page": daily_get_light_page,
    "/api/deal/get": deal_get,
    "/api/deal/get_batch": deal_get_batch,
    "/api/deal/get_total": deal_get_total,
    "/api/deal/get_page": deal_get_page,
    "/api/trade/balance": trade_balance,
    "/api/dealer/send_request": dealer_send_request,
    "/api/dealer/get_request_result": dealer_get_request_result,
}
