"""Equity points: monthly partitions (migration 0003), what the migration does to existing points, and the
maintenance that creates the coming months and drops the ones past the retention."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import psycopg
from propfirm.store.maintenance import maintain_equity_points
from propfirm.store.migrator import apply_migrations, shipped_migrations
from propfirm.store.statistics import EquityPoint
from propfirm.store.uow import UnitOfWork

from .test_migrations_and_audit import fresh_url  # noqa: F401  (the fixture)


def _partitions(url: str) -> dict[str, str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i"
            " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'equity_points'::regclass"
        ).fetchall()
    return dict(rows)


def _where(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT tableoid::regclass::text, time, equity FROM equity_points ORDER BY time"
        ).fetchall()


def test_points_written_before_0003_move_into_monthly_partitions(fresh_url) -> None:  # noqa: F811
    apply_migrations(fresh_url, [m for m in shipped_migrations() if m.version < 3])
    with psycopg.connect(fresh_url, autocommit=True) as conn:
        conn.execute("INSERT INTO traders (email) VALUES ('p@example.com')")
        conn.execute("INSERT INTO programs (id, version, definition, content_hash) VALUES ('p', 1, '{}', 'x')")
        cid = conn.execute(
            "INSERT INTO challenges (trader_id, program_id, program_version, server, login)"
            " VALUES (1, 'p', 1, 's', 1) RETURNING id"
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO equity_points VALUES (%s, '2025-01-15T10:00Z', 1, 100), (%s, '2025-03-01T00:00Z', 1, 101)",
            (cid, cid),
        )
    apply_migrations(fresh_url)
    assert [(table, equity) for table, _, equity in _where(fresh_url)] == [
        ("equity_points_202501", Decimal(100)),
        ("equity_points_202503", Decimal(101)),
    ]
    parts = _partitions(fresh_url)
    assert parts["equity_points_default"] == "DEFAULT"
    assert parts["equity_points_202502"] == "FOR VALUES FROM ('2025-02-01 00:00:00+00') TO ('2025-03-01 00:00:00+00')"


def test_maintenance_creates_months_ahead_moves_strays_and_drops_past_the_retention(fresh_url) -> None:  # noqa: F811
    apply_migrations(fresh_url)
    with UnitOfWork(fresh_url) as uow:
        trader = uow.traders.get_or_create("m@example.com").id
        uow.execute("INSERT INTO programs (id, version, definition, content_hash) VALUES ('p', 1, '{}', 'x')")
        cid = uow.challenges.insert(trader_id=trader, program_id="p", program_version=1, server="s", login=1,
                                    status="active", phase=0, state=None)
        # a month with no partition yet: the point lands in the default partition, the write never fails
        uow.statistics.add_points([EquityPoint(cid, datetime(2031, 5, 3, tzinfo=UTC), Decimal(1), Decimal(7))])
        uow.commit()
    assert _where(fresh_url)[0][0] == "equity_points_default"

    with UnitOfWork(fresh_url) as uow:
        done = maintain_equity_points(uow, datetime(2031, 4, 20, tzinfo=UTC), retention_days=0)
        uow.commit()
    assert done.created == 3 and done.dropped == 0  # April, May, June 2031
    assert _where(fresh_url)[0][0] == "equity_points_203105"  # the stray point moved into its month
    with UnitOfWork(fresh_url) as uow:
        again = maintain_equity_points(uow, datetime(2031, 4, 21, tzinfo=UTC), retention_days=0)
        uow.commit()
    assert again.created == 0

    with UnitOfWork(fresh_url) as uow:  # the cutoff (400 days back) in May: May stays, a month is dropped whole
        kept = maintain_equity_points(uow, datetime(2032, 6, 10, tzinfo=UTC), retention_days=400)
        uow.commit()
    assert kept.dropped >= 1 and len(_where(fresh_url)) == 1
    with UnitOfWork(fresh_url) as uow:  # the cutoff in June: May has ended before it, and goes
        late = maintain_equity_points(uow, datetime(2032, 7, 10, tzinfo=UTC), retention_days=400)
        uow.commit()
    assert late.dropped == 1 and _where(fresh_url) == []
    assert "equity_points_203105" not in _partitions(fresh_url)
    assert "equity_points_203209" in _partitions(fresh_url)
