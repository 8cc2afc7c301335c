"""MT5 Web API JSON records, field names as documented (reference §1.7), numbers as strings.

Money is written with the account currency's digits ("26000.00"), prices with the
symbol's digits, times as trade-server Unix seconds (and milliseconds for `*Msc`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from propfirm.sim import accounts as acc
from propfirm.sim.accounts import Account, AccountState, Deal, Group, Position
from propfirm.sim.market import LOT_EXT, Market

if TYPE_CHECKING:
    from propfirm.sim.world import World

LOT_TO_EXT = LOT_EXT // 10_000  # VolumeExt units per Volume unit


def fmt(value: Decimal, digits: int) -> str:
    return format(value, f".{digits}f")


def _server_seconds(world: World, moment: datetime | None) -> str:
    return str(world.zone.to_server(moment)) if moment is not None else "0"


def user_record(world: World, account: Account) -> dict[str, Any]:
    group = world.groups[account.group.lower()]
    d = group.currency_digits
    extra = account.extra
    record: dict[str, Any] = {
        "Login": str(account.login),
        "Group": account.group,
        "CertSerialNumber": "0",
        "Rights": str(account.rights),
        "Registration": _server_seconds(world, account.registration),
        "LastAccess": _server_seconds(world, account.registration),
        "LastIP": "",
        "LastPassChange": _server_seconds(world, account.last_pass_change),
        "Name": account.name,
        "FirstName": account.first_name,
        "LastName": account.last_name,
        "MiddleName": extra.get("MiddleName", ""),
        "Company": extra.get("Company", ""),
        "Account": extra.get("Account", ""),
        "Country": extra.get("Country", ""),
        "Language": extra.get("Language", "0"),
        "City": extra.get("City", ""),
        "State": extra.get("State", ""),
        "ZIPCode": extra.get("ZIPCode", ""),
        "Address": extra.get("Address", ""),
        "Phone": extra.get("Phone", ""),
        "Email": account.email,
        "ID": extra.get("ID", ""),
        "Status": extra.get("Status", ""),
        "Comment": account.comment,
        "Color": extra.get("Color", "4278190080"),
        "PhonePassword": "",
        "Leverage": str(account.leverage),
        "Agent": extra.get("Agent", "0"),
        "Balance": fmt(account.balance, d),
        "Credit": fmt(account.credit, d),
        "InterestRate": "0.00",
        "CommissionDaily": "0.00",
        "CommissionMonthly": "0.00",
        "CommissionAgentDaily": "0.00",
        "CommissionAgentMonthly": "0.00",
        "BalancePrevDay": fmt(account.balance_prev_day, d),
        "BalancePrevMonth": fmt(account.balance_prev_month, d),
        "EquityPrevDay": fmt(account.equity_prev_day, d),
        "EquityPrevMonth": fmt(account.equity_prev_month, d),
        "MQID": extra.get("MQID", "0"),
        "TradeAccounts": extra.get("TradeAccounts", ""),
        "LeadSource": extra.get("LeadSource", ""),
        "LeadCampaign": extra.get("LeadCampaign", ""),
        "LimitOrders": extra.get("LimitOrders", "0"),
        "LimitPositions": extra.get("LimitPositions", "0"),
        "ApiData": [],
    }
    return record


def account_record(state: AccountState, margin_call: Decimal, stop_out: Decimal) -> dict[str, Any]:
    d = state.currency_digits
    equity = state.equity
    level = state.margin_level
    so_activation = "0"
    if state.margin and level <= stop_out:
        so_activation = "2"
    elif state.margin and level <= margin_call:
        so_activation = "1"
    return {
        "Login": str(state.login),
        "CurrencyDigits": str(d),
        "Balance": fmt(state.balance, d),
        "Credit": fmt(state.credit, d),
        "Margin": fmt(state.margin, d),
        "MarginFree": fmt(state.margin_free, d),
        "MarginLevel": fmt(level, 2),
        "MarginLeverage": str(state.leverage),
        "MarginInitial": "0.00",
        "MarginMaintenance": "0.00",
        "Profit": fmt(state.profit, d),
        "Storage": fmt(state.storage, d),
        "Commission": "0.00",
        "Floating": fmt(state.floating, d),
        "Equity": fmt(equity, d),
        "SOActivation": so_activation,
        "SOTime": "0",
        "SOLevel": "0.00",
        "SOEquity": "0.00",
        "SOMargin": "0.00",
        "BlockedCommission": "0.00",
        "BlockedProfit": "0.00",
        "Assets": "0.00",
        "Liabilities": "0.00",
    }


def position_record(world: World, position: Position) -> dict[str, Any]:
    market: Market = world.market
    spec = market.spec(position.symbol)
    account = world.accounts[position.login]
    group = world.groups[account.group.lower()]
    d = group.currency_digits
    price = acc.close_price(market, position)
    profit = acc.profit_at(market, position, price, group.currency, group.money_quantum)
    return {
        "Position": str(position.ticket),
        "ExternalID": "",
        "Login": str(position.login),
        "Dealer": str(position.dealer),
        "Symbol": position.symbol,
        "Action": str(position.action),
        "Digits": str(spec.digits),
        "DigitsCurrency": str(d),
        "Reason": str(position.reason),
        "ContractSize": fmt(spec.contract_size, 2),
        "TimeCreate": str(position.time_create_server_msc // 1000),
        "TimeUpdate": str(position.time_update_server_msc // 1000),
        "TimeCreateMsc": str(position.time_create_server_msc),
        "TimeUpdateMsc": str(position.time_update_server_msc),
        "ModificationFlags": "0",
        "PriceOpen": fmt(position.price_open, spec.digits),
        "PriceCurrent": fmt(price, spec.digits),
        "PriceSL": fmt(Decimal(0), spec.digits),
        "PriceTP": fmt(Decimal(0), spec.digits),
        "Volume": str(position.volume),
        "VolumeExt": str(position.volume * LOT_TO_EXT),
        "Profit": fmt(profit, d),
        "Storage": fmt(position.storage, d),
        "RateProfit": fmt(market.rate(spec.profit_currency, group.currency), 8),
        "RateMargin": fmt(market.rate(spec.base_currency, group.currency), 8),
        "ExpertID": "0",
        "ExpertPositionID": "0",
        "Comment": position.comment,
        "ActivationMode": "0",
        "ActivationTime": "0",
        "ActivationPrice": fmt(Decimal(0), spec.digits),
        "ActivationFlags": "0",
        "ApiData": [],
    }


def deal_record(world: World, deal: Deal) -> dict[str, Any]:
    account = world.accounts[deal.login]
    group = world.groups[account.group.lower()]
    d = group.currency_digits
    spec = world.market.specs.get(deal.symbol)
    digits = spec.digits if spec else 0
    contract = fmt(spec.contract_size, 2) if spec else "0.00"
    return {
        "Deal": str(deal.ticket),
        "ExternalID": "",
        "Login": str(deal.login),
        "Dealer": str(deal.dealer),
        "Order": str(deal.order),
        "Action": str(deal.action),
        "Entry": str(deal.entry),
        "Reason": str(deal.reason),
        "Digits": str(digits),
        "DigitsCurrency": str(d),
        "ContractSize": contract,
        "Time": str(deal.time_server),
        "TimeMsc": str(deal.time_server_msc),
        "Symbol": deal.symbol,
        "Price": fmt(deal.price, digits),
        "PriceSL": fmt(Decimal(0), digits),
        "PriceTP": fmt(Decimal(0), digits),
        "PricePosition": fmt(deal.price_position, digits),
        "PriceGateway": fmt(deal.price, digits),
        "Volume": str(deal.volume),
        "VolumeExt": str(deal.volume * LOT_TO_EXT),
        "VolumeClosed": str(deal.volume_closed),
        "VolumeClosedExt": str(deal.volume_closed * LOT_TO_EXT),
        "Profit": fmt(deal.profit, d),
        "ProfitRaw": fmt(deal.profit, d),
        "Value": "0.00",
        "Storage": fmt(deal.storage, d),
        "Commission": fmt(deal.commission, d),
        "RateProfit": fmt(deal.rate_profit, 8),
        "RateMargin": fmt(Decimal(1), 8),
        "TickValue": "0.00000000",
        "TickSize": "0.00000000",
        "ExpertID": "0",
        "PositionID": str(deal.position_id),
        "Comment": deal.comment,
        "Flags": "0",
        "Gateway": "",
        "ModificationFlags": "0",
        "MarketBid": fmt(deal.market_bid, digits),
        "MarketAsk": fmt(deal.market_ask, digits),
        "MarketLast": fmt(Decimal(0), digits),
        "ApiData": [],
    }


def group_record(world: World, group: Group) -> dict[str, Any]:
    return {
        "Group": group.name,
        "Server": "0",
        "PermissionsFlags": "0",
        "AuthMode": "0",
        "AuthPasswordMin": "8",
        "Company": group.company,
        "Currency": group.currency,
        "CurrencyDigits": str(group.currency_digits),
        "DemoLeverage": str(group.leverage),
        "ReportsMode": str(group.reports_mode),
        "ReportsFlags": "0",
        "MarginMode": str(group.margin_mode),  # 0 retail netting, 2 retail hedging
        "MarginFreeMode": "1",
        "MarginSOMode": "0",
        "MarginCall": fmt(group.margin_call, 2),
        "MarginStopOut": fmt(group.margin_stop_out, 2),
        "TradeFlags": "0",
        "LimitPositions": str(group.limit_positions),
        "LimitOrders": "0",
        "Commissions": [
            {
                "Name": "per lot",
                "Description": "instant commission per lot and side",
                "Path": "*",
                "Mode": "0",
                "RangeMode": "0",
                "ChargeMode": "0",
                "Tiers": [
                    {"Mode": "1", "Value": fmt(group.commission_per_lot, 2), "Currency": group.currency}
                ],
            }
        ],
        "Symbols": [{"Path": name} for name in sorted(world.market.specs)],
    }
