"""Dashboard benchmark: how long the admin's accounts page and a trader's challenge page take to load in
headless Chromium, the API serving 10,000 challenges from PostgreSQL.

    .venv/bin/python bench/bench_app.py [--quick] [--challenges N] [--loads L]
    .venv/bin/propfirm bench app [--quick]

Set-up: `bench_api`'s bulk fill (a fresh database from DATABASE_URL, dropped at the end; snapshots in Redis
under a namespace of its own), the local API server (`propfirm api`'s) serving it and the built app
(`make web`: web/dist) under /app/, Debian's chromium (PROPFIRM_CHROMIUM, default /usr/bin/chromium).

A load is a new browser context (empty cache, like a first visit) opening the app with a sign-in link and
waiting until the page shows its data: for the admin, the risk-sorted table's rows and the near-limit list;
for the trader, the challenge's figures and the drawn equity chart. Then the same page reloaded in that
context (cache warm). Figures: milliseconds from navigation to the data on screen (p50, max).
Target: the admin page under 2 s with 10,000 challenges.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")

import psycopg  # noqa: E402
import redis  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402
from propfirm.api.local_server import serve_api  # noqa: E402
from propfirm.api.tokens import mint  # noqa: E402
from propfirm.api.web_app import default_dist  # noqa: E402
from propfirm.benchkit.harness import temporary_database  # noqa: E402
from propfirm.live.keys import LiveKeys  # noqa: E402
from propfirm.settings import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL  # noqa: E402
from propfirm.store.migrator import apply_migrations  # noqa: E402
from propfirm.store.uow import UnitOfWork  # noqa: E402
from psycopg import sql  # noqa: E402

CHROMIUM = os.environ.get("PROPFIRM_CHROMIUM", "/usr/bin/chromium")
JWT_KEY = "bench-app-jwt-key-0123456789abcdef0123456789"


def _bench_api() -> Any:
    """The API benchmark's fill, loaded from beside this file (bench/ is not a package)."""
    path = Path(__file__).with_name("bench_api.py")
    spec = importlib.util.spec_from_file_location("propfirm_bench_api_fill", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load(page: Page, url: str, ready: list[str]) -> float:
    """Milliseconds from navigation until every selector in `ready` is on screen."""
    started = time.perf_counter()
    page.goto(url)
    for selector in ready:
        page.locator(selector).first.wait_for(state="visible", timeout=30_000)
    return (time.perf_counter() - started) * 1000


def _figures(samples: list[float]) -> dict[str, float]:
    return {"p50_ms": round(statistics.median(samples), 1), "max_ms": round(max(samples), 1), "loads": len(samples)}


def bench(challenges: int, loads: int, admin_url: str, redis_url: str) -> dict[str, Any]:
    if not (default_dist() / "index.html").is_file():
        raise SystemExit("bench app: the web app is not built (make web)")
    fill = _bench_api()
    name, url = temporary_database(admin_url, "propfirm_bench_api")
    client = redis.Redis.from_url(redis_url)
    keys = LiveKeys(f"bench-app-{uuid.uuid4().hex[:6]}:")
    written: list[str] = []
    server = None
    try:
        apply_migrations(url)
        took = fill._fill(url, challenges, min(1000, challenges))
        written = fill._snapshots(client, keys, url, challenges * 16 // 20)
        server = serve_api(
            "127.0.0.1", 0, url, redis_url, keys.namespace, webhook_secret="bench-webhook-0123456789abcdef",
            jwt_key=JWT_KEY, redis_client=client, db_pool_max=4,
        )
        app = f"{server.url}/app/"
        with UnitOfWork(url) as uow:
            cid, email, sub = uow.fetchone(
                "SELECT c.id, t.email, t.sub FROM challenges c JOIN traders t ON t.id = c.trader_id"
                " WHERE c.status = 'active' AND c.id <= 1000 ORDER BY c.id LIMIT 1"
            )
        pages = {
            "admin: accounts by risk": (
                f"{app}#token={mint('admin', email='admin@example.com', key=JWT_KEY)}",
                ["table.accounts tbody tr", "main h2:has-text('Near a limit')"],
            ),
            "trader: one challenge": (
                f"{app}#token={mint('trader', email=email, sub=sub, key=JWT_KEY)}",
                ["main h1:has-text('#')", "[data-testid=stat-equity] strong", "canvas"],
            ),
        }
        results: dict[str, Any] = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
            for label, (link, ready) in pages.items():
                cold, warm = [], []
                for _ in range(loads):
                    context = browser.new_context(viewport={"width": 1280, "height": 900})
                    page = context.new_page()
                    target = link
                    if label.startswith("trader"):  # sign in, then open the challenge (the link lands on the list)
                        page.goto(link)
                        page.locator("main h1").first.wait_for()
                        target = f"{app}#/challenges/{cid}"
                    cold.append(_load(page, target, ready))
                    started = time.perf_counter()
                    page.reload()
                    for selector in ready:
                        page.locator(selector).first.wait_for(state="visible", timeout=30_000)
                    warm.append((time.perf_counter() - started) * 1000)
                    context.close()
                results[label] = {"first_visit": _figures(cold), "reload": _figures(warm)}
            browser.close()
        return {"challenges": challenges, "fill_seconds": round(took.get("total_s", sum(took.values())), 1),
                "pages": results}
    finally:
        if server is not None:
            server.stop()
        if written:
            for start in range(0, len(written), 10_000):
                client.delete(*written[start : start + 10_000])
        client.close()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="bench_app", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 challenges, 3 loads a page")
    parser.add_argument("--challenges", type=int, default=10_000)
    parser.add_argument("--loads", type=int, default=10, help="loads per page")
    args = parser.parse_args(argv)
    challenges, loads = (2_000, 3) if args.quick else (args.challenges, args.loads)
    result = bench(
        challenges, loads, os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL),
        os.environ.get("REDIS_URL", DEFAULT_REDIS_URL),
    )
    print(f"{result['challenges']:,} challenges; page loads in headless Chromium (navigation to data on screen):")
    for label, figures in result["pages"].items():
        first, again = figures["first_visit"], figures["reload"]
        print(f"  {label:<24} first visit p50 {first['p50_ms']:7.1f} ms, max {first['max_ms']:7.1f} ms;"
              f" reload p50 {again['p50_ms']:7.1f} ms, max {again['max_ms']:7.1f} ms")
    return result


if __name__ == "__main__":
    main()
