"""`propfirm dev --news`: the simulated market's calendar listed in PostgreSQL once (a second listing adds
nothing), and a straddler placed among the scripted abusers only when the world has news."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from propfirm.local.database import list_news
from propfirm.sim.deal_stream import abusers
from propfirm.sim.testing import build_world
from propfirm.store.migrator import apply_migrations
from propfirm.store.news import NewsStore
from propfirm.store.uow import UnitOfWork

from tests.conftest import fresh_database

MONDAY = datetime(2026, 1, 5, 9, tzinfo=UTC)


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with fresh_database("propfirm_news") as database:
        apply_migrations(database)
        yield database


def test_the_simulated_calendar_is_listed_once_and_brings_a_straddler(url: str) -> None:
    world = build_world(120, seed=3, speed=0, abusers=True, start=MONDAY, news_days=7)
    assert [(r.at.isoformat(), r.currencies) for r in world.news[:3]] == [
        ("2026-01-05T09:30:00+00:00", ("GBP",)),
        ("2026-01-05T13:30:00+00:00", ("USD",)),
        ("2026-01-06T09:30:00+00:00", ("GBP",)),
    ]
    assert len(world.news) == 10  # five weekdays, none on the weekend
    assert "straddler" in abusers(world).values()
    assert list_news(url, world.news, MONDAY) == 10
    assert list_news(url, world.news, MONDAY) == 0
    with UnitOfWork(url) as uow:
        listed = NewsStore(uow).between(None, None)
    assert [(r.at, r.title, r.added_by) for r in listed] == [(r.at, r.title, "simulator") for r in world.news]

    quiet = build_world(120, seed=3, speed=0, abusers=True, start=MONDAY)
    assert quiet.news == [] and "straddler" not in abusers(quiet).values()  # the design's five crews
