-- Abuse findings (propfirm.abuse): what a detector found on the deal stream, with its score, its evidence
-- and the deals that prove it; a risk officer confirms or dismisses it. One row per detector and set of
-- accounts: a later scan updates the open row (the evidence grows), never a decided one.
CREATE TABLE abuse_findings (
    id bigserial PRIMARY KEY,
    detector text NOT NULL,
    server text NOT NULL,
    logins bigint[] NOT NULL,                 -- sorted
    score numeric(4, 3) NOT NULL CHECK (score >= 0 AND score <= 1),
    evidence jsonb NOT NULL,
    deals jsonb NOT NULL,                     -- [[login, ticket], ...]
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'dismissed', 'confirmed')),
    first_seen_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    decided_by text,
    decided_at timestamptz,
    note text,
    UNIQUE (detector, server, logins)
);
CREATE INDEX abuse_findings_open ON abuse_findings (score DESC, id) WHERE status = 'open';
