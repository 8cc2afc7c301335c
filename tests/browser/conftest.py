"""The dashboards in headless Chromium (Debian's, driven by Playwright through its executable path) against
one `propfirm dev` stack in this process: the simulator, the poller, the evaluator, the payouts workflow in
moto, and the API serving the built app under /app/.

Every page a test opens records its console errors and failed requests; `Browser.check(page)` asserts there
were none and that axe-core finds no serious or critical accessibility violation on it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import orjson
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, Playwright, sync_playwright
from propfirm.api.tokens import mint, recorded_sub
from propfirm.api.web_app import default_dist
from propfirm.domain.programs import EXAMPLE_PROGRAMS_DIR
from propfirm.local.options import DevOptions
from propfirm.local.stack import DevStack, forget_redis_keys
from propfirm.store.uow import UnitOfWork

from tests.instants import MONDAY_MORNING

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("PROPFIRM_CHROMIUM", "/usr/bin/chromium")
SPEED = 600.0  # a simulated day every 144 s: calm enough to read, quick enough for a reset in a run
# the documentation's screenshots are rewritten by `make screenshots` (PROPFIRM_SCREENSHOTS=1); otherwise
# they are still taken, into the run's temporary folder, so a plain test run leaves the checkout as it was
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
T = TypeVar("T")

# a funded-from-the-start program whose payouts open at once: the approval test needs no waiting
BROWSER_PROGRAM = """\
id: browser-instant
name: Instant funding for the browser tests
currency: USD
account_size: "100000"
leverage: 100
day_reset: {time: "00:00", zone: Europe/Prague}
phases:
  - name: funded
    group: 'funded\\browser'
    funded: true
    daily_loss_pct: 5
    max_loss_pct: 10
    profit_split_pct: 80
    payout_min_days: 0
    payout_min_amount: "50"
"""


def wait_for(what: str, check: Callable[[], T | None], seconds: float = 60.0) -> T:
    until = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > until:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


# module-scoped: the stack (its threads, the API's and the evaluator's process-wide runtimes) is gone before
# the next module's tests start
@pytest.fixture(scope="module")
def stack(database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    if not (default_dist() / "index.html").is_file():
        pytest.fail("the web app is not built: run `make web` (make test does)")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no browser at {CHROMIUM}: `make browser` installs Debian's chromium")
    saved = dict(os.environ)
    for noisy in ("werkzeug", "botocore", "urllib3", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    programs = tmp_path_factory.mktemp("programs")
    for name in ("two-step-100k.yaml", "instant-funding-100k.yaml"):
        shutil.copy(EXAMPLE_PROGRAMS_DIR / name, programs / name)
    (programs / "browser-instant.yaml").write_text(BROWSER_PROGRAM)
    options = DevOptions(
        database_url=database_url,
        redis_url=redis_url,
        accounts=12,
        speed=SPEED,
        start=MONDAY_MORNING,
        headless=True,
        api_port=0,
        programs=programs,
        auto_approve=False,  # an admin approves in the browser
        trader_desk=False,
        run_dir=tmp_path_factory.mktemp("browser-stack"),
    )
    dev = DevStack(options)
    try:
        dev.start()
        yield dev
    finally:
        dev.stop()
        forget_redis_keys(dev.redis, options.redis_namespace)
        dev.redis.close()
        os.environ.clear()
        os.environ.update(saved)


@dataclass
class Opened:
    page: Page
    problems: list[str] = field(default_factory=list)


@dataclass
class Browser:
    stack: DevStack
    chromium: Any
    shots: Path
    axe: Axe = field(default_factory=Axe)
    contexts: list[Any] = field(default_factory=list)

    @property
    def app(self) -> str:
        assert self.stack.app_url is not None
        return self.stack.app_url

    def open(self, token: str | None, route: str = "/", viewport: dict[str, int] = DESKTOP) -> Opened:
        """A new tab (its own sessionStorage) signed in with `token` through a sign-in link, at `route`."""
        context = self.chromium.new_context(viewport=viewport)
        self.contexts.append(context)
        if FAKED_CLOCK:
            # the pages' clock starts where the suite's faked one is (the app checks a token's expiry with it)
            context.clock.install(time=time.time())
        page = context.new_page()
        opened = Opened(page)
        page.on("console", lambda m: m.type == "error" and opened.problems.append(f"console error: {m.text}"))
        page.on("pageerror", lambda e: opened.problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: opened.problems.append(f"request failed: {r.url} {r.failure}"))
        page.on("response", lambda r: opened.problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.goto(self.app + (f"#token={token}" if token else ""))
        page.wait_for_load_state("networkidle")
        if route != "/":
            self.go(page, route)
        return opened

    def go(self, page: Page, route: str) -> None:
        """Follow a route inside the app (the hash changes; the document stays)."""
        page.evaluate("route => { window.location.hash = route }", f"#{route}")
        page.wait_for_load_state("networkidle")
        page.locator("main h1").first.wait_for()
        page.wait_for_selector("[aria-busy=true]", state="detached", timeout=15_000)

    def check(self, opened: Opened, allow: tuple[str, ...] = ()) -> None:
        """No console error, failed request or 4xx/5xx on the page, and no serious or critical axe finding."""
        problems = [p for p in opened.problems if not any(a in p for a in allow)]
        assert problems == [], problems
        results = self.axe.run(opened.page)
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], serious

    def screenshot(self, opened: Opened, name: str) -> None:
        self.shots.mkdir(parents=True, exist_ok=True)
        opened.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=False)


FAKED_CLOCK = bool(os.environ.get("FAKETIME"))


@contextmanager
def playwright_on_the_real_clock() -> Iterator[Playwright]:
    """Playwright's driver and Chromium start without libfaketime: scripts/test-clocks.sh fakes the suite's
    date with it (LD_PRELOAD), which Chromium's multi-process start does not survive, and a faked driver
    skews the clock it installs in the pages. The pages get the faked date from Playwright's clock instead
    (`Browser.open`)."""
    faked = {k: os.environ.pop(k) for k in list(os.environ) if k == "LD_PRELOAD" or k.startswith("FAKETIME")}
    try:
        manager = sync_playwright()
        playwright = manager.__enter__()  # the driver process starts here, with this environment
    finally:
        os.environ.update(faked)
    try:
        yield playwright
    finally:
        manager.__exit__(None, None, None)


@pytest.fixture(scope="module")
def browser(stack: DevStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    shots = DOCS_SCREENSHOTS if os.environ.get("PROPFIRM_SCREENSHOTS") else tmp_path_factory.mktemp("screenshots")
    with playwright_on_the_real_clock() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        b = Browser(stack, chromium, shots)
        try:
            yield b
        finally:
            for context in b.contexts:
                context.close()
            chromium.close()


# -- tokens, the API, the shop -----------------------------------------------------------------------------
def admin_token() -> str:
    return mint("admin", email="admin@example.com")


def support_token() -> str:
    return mint("support", email="support@example.com")


def trader_token(stack: DevStack, email: str) -> str:
    sub = recorded_sub(stack.options.database_url, email)
    assert sub, f"no trader {email}"
    return mint("trader", email=email, sub=sub)


def api(stack: DevStack, token: str, method: str, path: str, **kw: Any) -> httpx.Response:
    assert stack.api is not None
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.request(method, f"{stack.api.url}{path}", headers=headers, timeout=10, **kw)


def purchase(stack: DevStack, email: str, program: str) -> int:
    """The shop's signed webhook; the challenge's id."""
    assert stack.api is not None
    body = orjson.dumps({"order_id": uuid.uuid4().hex, "email": email, "name": "Browser Trader", "program": program})
    stamp = str(int(time.time()))
    signature = hmac.new(stack.api.runtime.webhook_secret.encode(), stamp.encode() + b"." + body, hashlib.sha256)
    answer = httpx.post(
        f"{stack.api.url}/webhooks/purchase",
        content=body,
        headers={"X-Timestamp": stamp, "X-Signature": f"sha256={signature.hexdigest()}",
                 "Content-Type": "application/json"},
        timeout=10,
    )
    assert answer.status_code == 202, answer.text
    return int(answer.json()["challenge_id"])


def rows(stack: DevStack, sql: str, *params: Any) -> list[tuple]:
    with UnitOfWork(stack.options.database_url) as uow:
        return [tuple(r) for r in uow.fetchall(sql, params)]


def active_login(stack: DevStack, challenge_id: int) -> int | None:
    """The challenge's MT5 login once its account exists, is bound and the evaluator has judged it."""
    [(login, status, state)] = rows(stack, "SELECT login, status, state FROM challenges WHERE id = %s", challenge_id)
    return int(login) if login is not None and status == "active" and state is not None else None
