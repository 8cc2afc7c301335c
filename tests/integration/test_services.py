"""The test run's own database and Redis namespace are real and isolated."""

import psycopg


def test_database_is_fresh_and_writable(database_url):
    with psycopg.connect(database_url) as conn:
        conn.execute("CREATE TABLE probe (id int primary key)")
        conn.execute("INSERT INTO probe VALUES (1)")
        assert conn.execute("SELECT count(*) FROM probe").fetchone()[0] == 1
        conn.rollback()


def test_redis_namespace_is_isolated(redis_client, redis_namespace):
    key = f"{redis_namespace}probe"
    redis_client.set(key, "1")
    assert redis_client.get(key) == b"1"
    assert not redis_client.exists(f"{redis_namespace}other")
