-- The operational store: traders, programs (immutable versions), challenges, their history, deals,
-- statistics, payouts, the command outbox and the append-only, hash-chained audit log.
-- Money is NUMERIC (never float); times are timestamptz (UTC).

CREATE TABLE traders (
    id          bigserial PRIMARY KEY,
    email       text NOT NULL,
    name        text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX traders_email_key ON traders (lower(email));

-- A program version is never updated in place: a new definition of an id is a new version.
CREATE TABLE programs (
    id            text NOT NULL,
    version       integer NOT NULL CHECK (version >= 1),
    definition    jsonb NOT NULL,
    content_hash  text NOT NULL,
    source        text,
    loaded_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, version)
);

CREATE TABLE challenges (
    id               bigserial PRIMARY KEY,
    trader_id        bigint NOT NULL REFERENCES traders (id),
    program_id       text NOT NULL,
    program_version  integer NOT NULL,          -- the version it was sold with, for its whole life
    server           text NOT NULL,
    login            bigint,                    -- null until MT5 created the account
    status           text NOT NULL DEFAULT 'active',
    phase            integer NOT NULL DEFAULT 0,
    state            jsonb,                     -- the rule engine's ChallengeState.to_dict()
    version          integer NOT NULL DEFAULT 1, -- optimistic concurrency: bumped by every save
    transitions      integer NOT NULL DEFAULT 0, -- number of phase_transitions rows so far
    awaiting_reset   text,                      -- command id of a balance reset not yet seen as a deal
    pending_kill     jsonb,                     -- a kill report waiting for the evaluator's own decision
    order_id         text UNIQUE,               -- idempotent purchase
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (program_id, program_version) REFERENCES programs (id, version)
);
CREATE UNIQUE INDEX challenges_account_key ON challenges (server, login) WHERE login IS NOT NULL;
CREATE INDEX challenges_trader ON challenges (trader_id);

CREATE TABLE phase_transitions (
    id             bigserial PRIMARY KEY,
    challenge_id   bigint NOT NULL REFERENCES challenges (id),
    transition_no  integer NOT NULL,
    from_phase     integer NOT NULL,
    to_phase       integer,                    -- null: no phase follows (failed, passed the last)
    decision       text NOT NULL,              -- phase_passed | funded | failed | restricted
    reason         text NOT NULL,
    equity         numeric NOT NULL,
    "limit"        numeric,
    decided_at     timestamptz NOT NULL,       -- the time of the event that caused it
    state_version  integer NOT NULL,           -- the challenge version this transition produced
    evidence       jsonb NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (challenge_id, transition_no)
);

CREATE TABLE deals (
    server        text NOT NULL,
    ticket        bigint NOT NULL,
    login         bigint NOT NULL,
    challenge_id  bigint REFERENCES challenges (id),
    time          timestamptz NOT NULL,
    action        text NOT NULL,
    entry         text NOT NULL,
    symbol        text NOT NULL,
    volume        numeric NOT NULL,
    price         numeric NOT NULL,
    profit        numeric NOT NULL,
    commission    numeric NOT NULL,
    swap          numeric NOT NULL,
    position      bigint NOT NULL,
    order_ticket  bigint NOT NULL DEFAULT 0,
    comment       text NOT NULL DEFAULT '',
    role          text NOT NULL,               -- trade | balance_operation | system (made by us)
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (server, ticket)
);
CREATE INDEX deals_challenge_time ON deals (challenge_id, time);

CREATE TABLE daily_statistics (
    challenge_id   bigint NOT NULL REFERENCES challenges (id),
    trading_day    date NOT NULL,
    start_balance  numeric NOT NULL,
    start_equity   numeric,
    daily_floor    numeric,
    close_balance  numeric,
    close_equity   numeric,
    profit         numeric,
    PRIMARY KEY (challenge_id, trading_day)
);

-- Kept sparsely (see docs/evaluator.md): one point per account per minute, or sooner on a large move.
CREATE TABLE equity_points (
    challenge_id  bigint NOT NULL REFERENCES challenges (id),
    time          timestamptz NOT NULL,
    balance       numeric NOT NULL,
    equity        numeric NOT NULL,
    PRIMARY KEY (challenge_id, time)
);

CREATE TABLE payouts (
    id            bigserial PRIMARY KEY,
    challenge_id  bigint NOT NULL REFERENCES challenges (id),
    amount        numeric NOT NULL,
    trader_share  numeric,
    status        text NOT NULL DEFAULT 'requested',
    requested_at  timestamptz NOT NULL DEFAULT now(),
    decided_at    timestamptz,
    paid_at       timestamptz,
    reason        text
);

CREATE TABLE payout_deals (
    payout_id  bigint NOT NULL REFERENCES payouts (id),
    server     text NOT NULL,
    ticket     bigint NOT NULL,
    PRIMARY KEY (payout_id, server, ticket),
    FOREIGN KEY (server, ticket) REFERENCES deals (server, ticket)
);

-- Commands to send to the command queue; written in the transaction that decided them.
CREATE TABLE outbox (
    id            bigserial PRIMARY KEY,
    command_id    text NOT NULL UNIQUE,
    challenge_id  bigint REFERENCES challenges (id),
    server        text NOT NULL,
    login         bigint,
    kind          text NOT NULL,
    command       jsonb NOT NULL,
    mt5_comment   text,                        -- a balance operation's deal comment on MT5
    status        text NOT NULL DEFAULT 'pending',  -- pending | sent | done | failed | cancelled
    attempts      integer NOT NULL DEFAULT 0,
    not_before    timestamptz,                 -- a scheduled command: not sent before this instant
    created_at    timestamptz NOT NULL DEFAULT now(),
    sent_at       timestamptz,
    result        jsonb,
    result_at     timestamptz
);
CREATE INDEX outbox_pending ON outbox (not_before) WHERE status = 'pending';
CREATE INDEX outbox_comment ON outbox (server, login, mt5_comment) WHERE mt5_comment IS NOT NULL;

-- The audit log: append-only and hash-chained. Each row's hash is SHA-256 over its content and the
-- previous row's hash; appenders serialise on the single row of audit_chain_head.
CREATE TABLE audit_log (
    id            bigint PRIMARY KEY,
    created_at    timestamptz NOT NULL,
    kind          text NOT NULL,
    challenge_id  bigint,
    server        text,
    login         bigint,
    payload       jsonb NOT NULL,
    prev_hash     text NOT NULL,
    hash          text NOT NULL
);

CREATE TABLE audit_chain_head (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_id    bigint NOT NULL,
    last_hash  text NOT NULL
);
INSERT INTO audit_chain_head (singleton, last_id, last_hash) VALUES (true, 0, repeat('0', 64));

CREATE FUNCTION audit_log_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;
