-- Blind intervals checked against MT5's record of them (propfirm.poller.gap_review), as the poller's
-- `gap_review` messages bring them: one row per interval (its counts, or why nothing could be checked), and
-- one gap finding per account that breached, may have, or could not be checked inside it. A risk officer
-- confirms a finding (and may fail the challenge through the audited override) or dismisses it; nothing is
-- applied on its own. The poller's Redis list of reviews is capped; these rows are not.
CREATE TABLE gap_reviews (
    id bigserial PRIMARY KEY,
    server text NOT NULL,
    poller text NOT NULL,
    blind_from timestamptz NOT NULL,   -- the last good cycle's end (the poller's clock)
    blind_to timestamptz NOT NULL,     -- the next good cycle's end
    cause text NOT NULL,
    failed_cycles integer NOT NULL CHECK (failed_cycles >= 0),
    read_before timestamptz,           -- the MT5 reads the check ran between (server clock)
    read_after timestamptz,
    checked integer NOT NULL CHECK (checked >= 0),
    clear integer NOT NULL CHECK (clear >= 0),
    reason text NOT NULL DEFAULT '',   -- why nothing could be checked, if so
    parts integer NOT NULL CHECK (parts >= 1),
    recorded_at timestamptz NOT NULL,
    UNIQUE (server, poller, blind_from)
);
CREATE INDEX gap_reviews_newest ON gap_reviews (blind_from DESC, id DESC);

CREATE TABLE gap_findings (
    id bigserial PRIMARY KEY,
    review_id bigint NOT NULL REFERENCES gap_reviews (id),
    server text NOT NULL,
    login bigint NOT NULL,
    challenge_id bigint REFERENCES challenges (id),   -- the account's challenge when it was recorded
    outcome text NOT NULL CHECK (outcome IN ('breached', 'possible', 'unchecked')),
    evidence jsonb NOT NULL,           -- floor, lowest, at, held, checked_until, reason
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'dismissed', 'confirmed')),
    recorded_at timestamptz NOT NULL,
    decided_by text,
    decided_at timestamptz,
    note text,
    UNIQUE (review_id, login)
);
CREATE INDEX gap_findings_open ON gap_findings (id DESC) WHERE status = 'open';
CREATE INDEX gap_findings_account ON gap_findings (server, login);
