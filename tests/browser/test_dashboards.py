"""The trader and admin dashboards in headless Chromium against `propfirm dev`: sign-in by link for each
role, what each role sees and may do, numbers equal to the API's, a breach and a payout followed live
without reloading, no console error and no serious accessibility finding on any page. The screenshots in
the documentation are taken here."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from decimal import Decimal

import orjson
from playwright.sync_api import expect
from propfirm.live.keys import LiveKeys
from propfirm.local.stack import DevStack
from propfirm.sim.accounts import REASON_CLIENT

from tests.browser.conftest import (
    PHONE,
    Browser,
    active_login,
    admin_token,
    api,
    purchase,
    rows,
    support_token,
    trader_token,
    wait_for,
)
from tests.e2e.test_dev_scenario import round_trip

ADMIN_PAGES = {
    "/admin/accounts": "Accounts",
    "/admin/transitions": "Transitions",
    "/admin/payouts": "Payouts",
    "/admin/audit": "Audit log",
    "/admin/programs": "Programs",
    "/admin/programs/two-step-100k": "two-step-100k",
    "/admin/system": "System",
    "/admin/abuse": "Abuse findings",
    "/admin/gaps": "Blind intervals",
    "/news": "News calendar",
}


def money(value: str) -> str:
    """The app's display of an amount (grouped, at least two decimals, a true minus sign)."""
    negative = value.startswith("-")
    whole, _, fraction = value.lstrip("-").partition(".")
    cents = fraction if len(fraction) >= 2 else fraction.ljust(2, "0")
    return ("−" if negative else "") + f"{int(whole):,}.{cents}"


def test_without_a_token_the_app_says_how_to_sign_in(browser: Browser) -> None:
    opened = browser.open(None)
    page = opened.page
    expect(page.locator("h1")).to_have_text("propfirm")
    expect(page.get_by_text("propfirm token --role admin")).to_be_visible()
    browser.check(opened)


def test_the_token_leaves_the_address_bar_and_stays_with_the_tab(browser: Browser) -> None:
    opened = browser.open(admin_token())
    page = opened.page
    expect(page.locator("main h1")).to_have_text("Accounts")
    assert "token=" not in page.url and page.url.endswith("/app/#/")
    page.reload()
    expect(page.locator("main h1")).to_have_text("Accounts")  # kept for the tab
    other = browser.open(None)  # another tab: not signed in
    expect(other.page.locator("h1")).to_have_text("propfirm")
    browser.check(opened)


def test_an_admin_reads_every_page_without_an_error_or_an_accessibility_problem(browser: Browser) -> None:
    opened = browser.open(admin_token())
    for route, title in ADMIN_PAGES.items():
        browser.go(opened.page, route)
        expect(opened.page.locator("main h1").first).to_contain_text(title)
        browser.check(opened)
    browser.go(opened.page, "/admin/accounts")
    expect(opened.page.locator("table.accounts tbody tr").first).to_be_visible()
    browser.screenshot(opened, "admin-accounts-desktop")
    phone = browser.open(admin_token(), "/admin/accounts", viewport=PHONE)
    browser.screenshot(phone, "admin-accounts-phone")
    browser.check(phone)


def test_support_sees_every_page_and_no_enabled_action(browser: Browser, stack: DevStack) -> None:
    opened = browser.open(support_token())
    page = opened.page
    for route, title in ADMIN_PAGES.items():
        browser.go(page, route)
        expect(page.locator("main h1").first).to_contain_text(title)
    challenge = next(iter(stack.challenges.values()))  # login -> challenge id
    browser.go(page, f"/admin/challenges/{challenge}")
    actions = page.locator("main .actions button")
    expect(actions.first).to_be_visible()
    assert actions.count() == 7 and all(actions.nth(i).is_disabled() for i in range(actions.count()))
    browser.go(page, "/admin/programs/two-step-100k")
    expect(page.get_by_role("button", name="Save as a new version")).to_be_disabled()
    browser.go(page, "/admin/payouts")
    for button in page.locator("main button:has-text('Approve'), main button:has-text('Reject')").all():
        assert button.is_disabled()
    browser.check(opened)


def test_a_trader_sees_their_own_challenges_and_no_admin_page(browser: Browser, stack: DevStack) -> None:
    _, email, _ = stack.example_trader()
    token = trader_token(stack, email)
    mine = sorted(c["id"] for c in api(stack, token, "GET", "/challenges").json()["items"])
    opened = browser.open(token)
    page = opened.page
    expect(page.locator("main h1")).to_have_text("My challenges")
    shown = sorted(int(re.sub(r"\D", "", h)) for h in page.locator("main a[href^='#/challenges/']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"))
    assert shown == mine
    assert page.locator("nav a[href^='#/admin']").count() == 0  # no admin page in the menu
    browser.go(page, "/admin/accounts")
    expect(page.locator("main h1")).to_have_text("Not available")
    browser.check(opened)


def test_the_trader_page_shows_the_apis_numbers(browser: Browser, stack: DevStack) -> None:
    _, email, _ = stack.example_trader()
    token = trader_token(stack, email)
    challenge = api(stack, token, "GET", "/challenges").json()["items"][0]["id"]
    opened = browser.open(token, f"/challenges/{challenge}")
    page = opened.page
    expect(page.locator("main .stat").first).to_be_visible()
    page.locator("canvas").first.wait_for()  # the chart drew
    # the page and the API read at the same moment agree (the account trades; the page refreshes itself)
    def agree(test_id: str, path: str, pick: Callable[[dict], str | None]) -> None:
        def same() -> bool:
            shown = page.get_by_test_id(test_id).locator("strong").inner_text()
            value = pick(api(stack, token, "GET", path).json())
            return value is not None and shown.startswith(value)
        wait_for(f"{test_id} to show the API's number", same, seconds=40)

    view = api(stack, token, "GET", f"/challenges/{challenge}").json()
    agree("stat-equity", f"/challenges/{challenge}", lambda v: money(v["live"]["equity"]))
    if view["limits"]["max_loss"]:
        agree("stat-maximum-loss", f"/challenges/{challenge}", lambda v: money(v["limits"]["max_loss"]["left"]))
    if view["limits"]["daily_loss"]:
        agree("stat-daily-loss", f"/challenges/{challenge}", lambda v: money(v["limits"]["daily_loss"]["left"]))
    agree("stat-net-result", f"/challenges/{challenge}/performance", lambda p: money(p["net"]))
    agree("stat-win-rate", f"/challenges/{challenge}/performance",
          lambda p: "—" if p["win_rate"] is None else f"{Decimal(p['win_rate']) * 100:.1f}%")
    rules = page.locator("ul.rules li").all_inner_texts()
    assert rules == view["rules_text"]
    if view["coverage"]["judged_at"]:  # the engine has judged a read of this account: the page says which
        expect(page.get_by_test_id("coverage")).to_contain_text("rules judged on MT5 data of")
    browser.screenshot(opened, "trader-challenge-desktop")
    phone = browser.open(token, f"/challenges/{challenge}", viewport=PHONE)
    phone.page.locator("canvas").first.wait_for()
    browser.screenshot(phone, "trader-challenge-phone")
    browser.check(opened)
    browser.check(phone)


def test_a_breach_appears_on_both_pages_without_reloading(browser: Browser, stack: DevStack) -> None:
    email = f"breach.{uuid.uuid4().hex[:8]}@example.com"
    challenge = purchase(stack, email, "two-step-100k")
    login = wait_for("the account", lambda: active_login(stack, challenge))
    trader = browser.open(trader_token(stack, email), f"/challenges/{challenge}")
    admin = browser.open(admin_token(), f"/admin/challenges/{challenge}")
    for opened in (trader, admin):
        expect(opened.page.get_by_test_id("status")).to_have_text("active")
        opened.page.evaluate("() => { window.__sameDocument = true }")  # gone if the page reloads
    world = stack.market.world
    round_trip(world, login, Decimal("-5600"))  # the daily floor is 95,000
    with world.lock:
        world.open_position(login, "GBPUSD", "buy", Decimal("0.10"), reason=REASON_CLIENT)
    for opened in (trader, admin):
        expect(opened.page.get_by_test_id("status")).to_have_text("failed", timeout=60_000)
        assert opened.page.evaluate("() => window.__sameDocument") is True
    expect(trader.page.locator("details.decision summary").first).to_contain_text("daily loss")
    trader.page.locator("details.decision summary").first.click()
    expect(trader.page.locator(".explanation p").first).to_contain_text("The daily floor was 95,000.00")
    browser.check(trader)
    browser.check(admin)


def test_the_system_page_lists_what_the_poller_could_not_see(browser: Browser, stack: DevStack) -> None:
    key = LiveKeys(stack.options.redis_namespace).blind(stack.options.server)
    gap = {"from": "2026-01-05T09:00:00.000+00:00", "to": "2026-01-05T09:00:09.500+00:00", "seconds": 9.5,
           "failed_cycles": 3, "cause": "ConnectionRefusedError: MT5 went away"}
    stack.redis.lpush(key, orjson.dumps(gap))
    checked = {"from": "2026-01-05T09:00:00+00:00", "to": "2026-01-05T09:00:09.500000+00:00", "interval": gap,
               "checked": 4, "clear": 3, "breached": 1, "possible": 0, "unchecked": 0, "reason": "",
               "accounts": [{"login": 100077, "outcome": "breached", "floor": "99000", "lowest": "98990.00",
                             "at": "2026-01-05T09:00:00+00:00", "checked_until": None, "reason": "", "held": []}]}
    stack.redis.lpush(LiveKeys(stack.options.redis_namespace).gap_reviews(stack.options.server),
                      orjson.dumps(checked))
    opened = browser.open(admin_token(), "/admin/system")
    table = opened.page.get_by_role("table", name="Blind intervals", exact=True)
    expect(table).to_contain_text("ConnectionRefusedError: MT5 went away")
    expect(table.locator("tbody tr", has_text="MT5 went away").locator("td.num").first).to_have_text("9.5")
    reviews = opened.page.get_by_role("table", name="Blind intervals checked")
    expect(reviews).to_contain_text("100077: breached, equity 98990.00 against the floor 99000")
    browser.check(opened)


def test_an_admin_approves_a_payout_and_watches_it_reach_paid(browser: Browser, stack: DevStack) -> None:
    email = f"payout.{uuid.uuid4().hex[:8]}@example.com"
    challenge = purchase(stack, email, "browser-instant")
    login = wait_for("the funded account", lambda: active_login(stack, challenge))
    token = trader_token(stack, email)
    round_trip(stack.market.world, login, Decimal("1500"))
    wait_for(
        "the payout to be open",
        lambda: api(stack, token, "GET", f"/challenges/{challenge}/payouts/eligibility").json()["eligible"],
    )
    trader = browser.open(token, f"/challenges/{challenge}")
    request = trader.page.get_by_role("button", name="Request a payout")
    expect(request).to_be_enabled(timeout=20_000)
    request.click()
    expect(trader.page.locator("[data-testid^=payout-]").first).to_be_visible(timeout=20_000)
    [payout] = api(stack, token, "GET", f"/challenges/{challenge}/payouts").json()["items"]

    admin = browser.open(admin_token(), "/admin/payouts")
    card = admin.page.get_by_test_id(f"admin-payout-{payout['id']}")
    expect(card).to_be_visible(timeout=30_000)  # the workflow asks for approval
    expect(card).to_contain_text(f"{len(payout['deals'])} deals")
    card.get_by_role("button", name="Approve").click()
    dialog = admin.page.locator("dialog[open]")
    dialog.get_by_label("Note (optional)").fill("checked in the browser")
    dialog.get_by_role("button", name="Approve").click()
    admin.page.evaluate("() => { window.__sameDocument = true }")
    admin.page.get_by_label("Status").select_option("")  # every payout: it leaves "awaiting approval"
    paid = admin.page.get_by_test_id(f"admin-payout-{payout['id']}").get_by_test_id("payout-status")
    expect(paid).to_have_text("paid", timeout=90_000)
    assert admin.page.evaluate("() => window.__sameDocument") is True
    expect(trader.page.get_by_test_id(f"payout-{payout['id']}")).to_contain_text("paid", timeout=30_000)
    browser.check(admin)
    browser.check(trader)


def test_an_admin_reads_a_findings_evidence_and_dismisses_it(browser: Browser, stack: DevStack) -> None:
    from datetime import UTC, datetime

    from propfirm.domain.abuse.findings import Finding
    from propfirm.store.abuse import FindingStore
    from propfirm.store.uow import UnitOfWork

    first, second = sorted(stack.challenges)[:2]  # two of the run's logins
    trade = {"symbol": "EURUSD", "volume": "5", "opened_at": "2026-01-05T10:00:00+00:00", "open_price": "1.08",
             "closed_at": "2026-01-05T11:00:00+00:00", "close_price": "1.09", "profit": "500", "deals": [1, 2]}
    pair = [{**trade, "login": first, "side": "buy"}, {**trade, "login": second, "side": "sell", "profit": "-520"}]
    evidence = {"mirrored_trades": 6, "share": 1.0, "net_of_both": "-120",
                "matches": [{"lag_seconds": 0.0, "trades": pair}],
                "traders": {"groups": {"7": [first, second]}, "one_trader": True, "unknown": [],
                            "shared": [{"kind": "address", "value": "203.0.113.7", "traders": [7, 9],
                                        "logins": [first, second]}]}}
    finding = Finding("hedging", stack.options.server, (first, second), 1.0, evidence, ((first, 1),))
    market = {"compared": 84, "filled_better_than_the_market": 84, "window_seconds": 5.0,
              "largest": [{"position": 5, "symbol": "USDJPY", "side": "sell", "opened_at": "2026-01-06T02:30:00+00:00",
                           "price": "141.163", "better_by": "0.660"}]}
    scalping = Finding("latency_arbitrage", stack.options.server, (first,), 0.985,
                       {"short_trades": 84, "win_rate": 0.985, "against_the_market": market}, ((first, 3),))
    with UnitOfWork(stack.options.database_url) as uow:
        FindingStore(uow).upsert([finding, scalping], datetime.now(UTC))
        uow.commit()
        [stored] = [f for f in FindingStore(uow).findings(server=stack.options.server) if f.logins == (first, second)]

    admin = browser.open(admin_token(), "/admin/abuse")
    card = admin.page.get_by_test_id(f"finding-{stored.id}")
    expect(card).to_contain_text(f"accounts {first}, {second}")
    card.get_by_role("button", name="Show the evidence").click()
    expect(card.get_by_role("region", name="matched trades")).to_contain_text(f"{second} sell 5 @ 1.08")
    expect(card.get_by_role("note", name="whose accounts")).to_have_text(
        "One trader holds all these accounts (trader 7).")
    expect(card.get_by_role("list", name="what the traders share")).to_contain_text(
        f"Traders 7 and 9 signed in from the same address 203.0.113.7 (accounts {first}, {second})")
    with UnitOfWork(stack.options.database_url) as uow:
        [scalper] = [f for f in FindingStore(uow).findings(server=stack.options.server, detector="latency_arbitrage")
                     if f.logins == (first,)]
    other = admin.page.get_by_test_id(f"finding-{scalper.id}")
    other.get_by_role("button", name="Show the evidence").click()
    expect(other.get_by_role("note", name="against the market")).to_contain_text(
        "84 of 84 short trades were filled at a better price than the other accounts' fills")
    card.get_by_role("button", name="Dismiss").click()
    dialog = admin.page.locator("dialog[open]")
    dialog.get_by_label("What was checked (kept in the audit log)").fill("one trader, two strategies")
    dialog.get_by_role("button", name="Dismiss").click()
    expect(card).to_have_count(0, timeout=10_000)  # gone from the open findings
    with UnitOfWork(stack.options.database_url) as uow:
        assert FindingStore(uow).get(stored.id).status == "dismissed"
    browser.check(admin)


def test_an_admin_confirms_a_breach_found_in_a_blind_interval_and_fails_the_challenge(browser: Browser,
                                                                                     stack: DevStack) -> None:
    from datetime import UTC, datetime, timedelta

    from propfirm.queues.messages import GapAccount, GapHeldPosition, GapReviewMessage
    from propfirm.store.gaps import GapStore
    from propfirm.store.uow import UnitOfWork

    [(login,)] = rows(stack, "SELECT login FROM challenges WHERE server = %s AND status = 'active'"
                             " AND login IS NOT NULL ORDER BY login DESC LIMIT 1", stack.options.server)
    start = datetime(2026, 1, 5, 9, tzinfo=UTC) + timedelta(seconds=uuid.uuid4().int % 1_000_000)
    held = GapHeldPosition(ticket=9001, symbol="XAUUSD", side="buy", volume="2.00", price_open="2031.50")
    message = GapReviewMessage(
        server=stack.options.server, poller="default", blind_from=start, blind_to=start + timedelta(minutes=5),
        cause="ConnectionRefusedError: MT5 went away", failed_cycles=4, read_before=start,
        read_after=start + timedelta(minutes=5), checked=12, clear=11,
        accounts=[GapAccount(login=login, outcome="breached", floor="94000", lowest="93871.40",
                             at=start + timedelta(minutes=2), held=[held])],
    )
    with UnitOfWork(stack.options.database_url) as uow:
        recorded = GapStore(uow).record(message, datetime.now(UTC))
        uow.commit()
    [(finding_id, _, _, challenge)] = recorded.new_findings

    admin = browser.open(admin_token(), "/admin/gaps")
    card = admin.page.get_by_test_id(f"gap-finding-{finding_id}")
    expect(card).to_contain_text(f"Account {login}")
    expect(card).to_contain_text("equity as low as 93871.40 against the floor 94000")
    expect(card.get_by_role("list", name="positions held")).to_contain_text("#9001 buy 2.00 XAUUSD from 2031.50")
    expect(admin.page.get_by_role("table", name="Intervals checked")).to_contain_text("MT5 went away")
    card.get_by_role("button", name="Confirm and fail the challenge").click()
    dialog = admin.page.locator("dialog[open]")
    dialog.get_by_label("What was checked (kept in the audit log)").fill("the minute bars show the dip")
    dialog.get_by_role("button", name="Confirm and fail").click()
    expect(card).to_have_count(0, timeout=10_000)  # gone from the open findings
    with UnitOfWork(stack.options.database_url) as uow:
        assert GapStore(uow).get(finding_id).status == "confirmed"
        assert uow.challenges.get(challenge).status == "failed"
    browser.check(admin)
    page = browser.open(admin_token(), f"/admin/challenges/{challenge}")
    expect(page.page.get_by_role("list", name="gap findings")).to_contain_text(
        f"Gap finding {finding_id}: breached while the poller was blind")
    browser.check(page)


def test_an_admin_lists_and_withdraws_a_release_and_a_trader_reads_the_calendar(
    browser: Browser, stack: DevStack
) -> None:
    from datetime import UTC, timedelta

    soon = (stack.market.world.now().astimezone(UTC) + timedelta(days=2)).replace(second=0, microsecond=0)
    title = f"US CPI {soon:%d %b}"
    admin = browser.open(admin_token(), "/news")
    page = admin.page
    page.on("dialog", lambda dialog: dialog.accept())  # the withdrawal's confirmation
    form = page.get_by_role("form", name="List a release")
    form.get_by_label("When (UTC)").fill(f"{soon:%Y-%m-%dT%H:%M}")
    form.get_by_label("Title").fill(title)
    form.get_by_label("Currencies").fill("usd")
    form.get_by_role("button", name="List the release").click()
    expect(page.get_by_role("status")).to_have_text("Listed.")
    row = page.locator("main tbody tr", has_text=title)
    expect(row).to_contain_text("USD")
    expect(row).to_contain_text("admin")  # who listed it, for staff
    released = api(stack, admin_token(), "GET", "/news").json()["items"]
    [listed] = [r for r in released if r["title"] == title]
    assert listed["at"] == soon.isoformat() and listed["currencies"] == ["USD"]
    browser.check(admin)

    _, email, _ = stack.example_trader()
    trader = browser.open(trader_token(stack, email), "/news")
    expect(trader.page.locator("main tbody tr", has_text=title)).to_be_visible()
    assert trader.page.get_by_role("form", name="List a release").count() == 0
    assert trader.page.get_by_role("columnheader", name="Listed by").count() == 0
    browser.check(trader)

    row.get_by_role("button", name="Withdraw").click()
    expect(row).to_have_count(0, timeout=10_000)
    assert not [r for r in api(stack, admin_token(), "GET", "/news").json()["items"] if r["title"] == title]
    browser.check(admin)
