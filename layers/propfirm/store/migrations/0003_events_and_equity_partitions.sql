-- Domain events waiting for the bus, equity points partitioned by month with retention, and an index the
-- evaluator's recurring queries need as the outbox grows (README: "Queries and EXPLAIN").

-- ChallengePassed / ChallengeFailed / ChallengeFunded, written in the transaction that records the
-- transition and put on EventBridge by the outbox relay after the commit (at least once: `event_id` is
-- deterministic, `{challenge_id}:{transition_no}:event`, and travels in the detail for consumers).
CREATE TABLE domain_events (
    id            bigserial PRIMARY KEY,
    event_id      text NOT NULL UNIQUE,
    detail_type   text NOT NULL,
    challenge_id  bigint REFERENCES challenges (id),
    detail        jsonb NOT NULL,
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent')),
    attempts      integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    sent_at       timestamptz,
    last_error    text
);
CREATE INDEX domain_events_pending ON domain_events (id) WHERE status = 'pending';

-- Funding deals are looked up for every message carrying a balance deal: without this, a scan of outbox.
CREATE INDEX outbox_created_accounts ON outbox (server, login) WHERE kind = 'create_account';
-- (a challenge's audit rows, commands and deals for the API's pages: migration 0004)

-- Equity points: already downsampled by the evaluator (one per account per minute, or sooner on a move
-- of 1% of the account size); partitioned by calendar month (UTC) so that retention drops whole months
-- (`equity_points_drop_before`) instead of deleting rows. A default partition takes any row whose month
-- has no partition yet, so a write never fails; `equity_points_add_partition` moves such rows into their
-- month's partition when it is created. `propfirm.store.maintenance` calls both.
ALTER TABLE equity_points RENAME TO equity_points_unpartitioned;
ALTER TABLE equity_points_unpartitioned RENAME CONSTRAINT equity_points_pkey TO equity_points_unpartitioned_pkey;

CREATE TABLE equity_points (
    challenge_id  bigint NOT NULL REFERENCES challenges (id),
    time          timestamptz NOT NULL,
    balance       numeric NOT NULL,
    equity        numeric NOT NULL,
    PRIMARY KEY (challenge_id, time)
) PARTITION BY RANGE (time);
CREATE TABLE equity_points_default PARTITION OF equity_points DEFAULT;

CREATE FUNCTION equity_points_add_partition(month date) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    lo   timestamptz := date_trunc('month', month::timestamp) AT TIME ZONE 'UTC';
    hi   timestamptz := (date_trunc('month', month::timestamp) + interval '1 month') AT TIME ZONE 'UTC';
    part text := 'equity_points_' || to_char(month, 'YYYYMM');
BEGIN
    IF to_regclass(part) IS NOT NULL THEN
        RETURN false;
    END IF;
    -- rows of that month written meanwhile sit in the default partition: hold writers off it while they move
    LOCK TABLE equity_points_default IN EXCLUSIVE MODE;
    EXECUTE format('CREATE TABLE %I (LIKE equity_points INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
    EXECUTE format('INSERT INTO %I SELECT * FROM equity_points_default WHERE time >= %L AND time < %L',
                   part, lo, hi);
    DELETE FROM equity_points_default WHERE time >= lo AND time < hi;
    EXECUTE format('ALTER TABLE equity_points ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
    RETURN true;
END;
$$;

-- Drops every monthly partition that ends at or before `cutoff`, and the default partition's rows older
-- than it; returns the number of partitions dropped.
CREATE FUNCTION equity_points_drop_before(cutoff timestamptz) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    part    record;
    dropped integer := 0;
BEGIN
    FOR part IN
        SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'equity_points'::regclass AND c.relname ~ '^equity_points_[0-9]{6}$'
    LOOP
        IF (to_date(right(part.relname, 6), 'YYYYMM')::timestamp + interval '1 month') AT TIME ZONE 'UTC'
           <= cutoff THEN
            EXECUTE format('DROP TABLE %I', part.relname);
            dropped := dropped + 1;
        END IF;
    END LOOP;
    DELETE FROM equity_points_default WHERE time < cutoff;
    RETURN dropped;
END;
$$;

-- the months the existing points fall in, this month and the next two
SELECT equity_points_add_partition(m::date)
FROM generate_series(
    date_trunc('month', LEAST(now(), (SELECT min(time) FROM equity_points_unpartitioned)) AT TIME ZONE 'UTC'),
    date_trunc('month', GREATEST(now(), (SELECT max(time) FROM equity_points_unpartitioned)) AT TIME ZONE 'UTC')
        + interval '2 months',
    interval '1 month'
) AS m;
INSERT INTO equity_points SELECT challenge_id, time, balance, equity FROM equity_points_unpartitioned;
DROP TABLE equity_points_unpartitioned;
