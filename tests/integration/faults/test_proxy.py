"""The fault proxy in front of the real PostgreSQL: clients see real resets and real refusals, and
reconnect once it listens again."""

from __future__ import annotations

import time

import psycopg
import pytest
from propfirm.local.faults.proxy import postgres_proxy


@pytest.fixture
def proxy(database_url: str):
    p = postgres_proxy(database_url)
    yield p
    p.stop()


def test_queries_pass_through(proxy, database_url: str):
    with psycopg.connect(proxy.conninfo_for(database_url)) as conn:
        assert conn.execute("SELECT 41 + 1").fetchone() == (42,)
    assert proxy.connections == 1


def test_a_cut_resets_open_connections(proxy, database_url: str):
    conn = psycopg.connect(proxy.conninfo_for(database_url), autocommit=True)
    conn.execute("SELECT 1")
    assert proxy.cut() == 1
    with pytest.raises(psycopg.OperationalError):
        conn.execute("SELECT 1")
    conn.close()
    with psycopg.connect(proxy.conninfo_for(database_url)) as again:  # new connections are welcome
        assert again.execute("SELECT 1").fetchone() == (1,)


def test_an_outage_refuses_connections_then_the_same_port_serves_again(proxy, database_url: str):
    import threading

    url = proxy.conninfo_for(database_url)
    port = proxy.port
    outage = threading.Thread(target=proxy.outage, args=(1.5,))
    outage.start()
    time.sleep(0.3)
    with pytest.raises(psycopg.OperationalError, match="refused"):
        psycopg.connect(url, connect_timeout=2)
    outage.join()
    assert proxy.port == port
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
