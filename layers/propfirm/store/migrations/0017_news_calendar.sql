-- The news calendar: the releases a program's `news_blackout_minutes` is measured from (the evaluator reads
-- it) and the abuse scan's news straddles are judged around. Kept by the firm's risk desk through the admin
-- API (each change audited); one row per release, the same release listed twice is one row.
CREATE TABLE news_events (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL,
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    currencies text[] NOT NULL DEFAULT '{}',  -- ISO 4217 codes the release moves (informative: the blackout
                                              -- applies to every symbol, as `propfirm replay --news` does)
    impact text NOT NULL DEFAULT 'high' CHECK (impact IN ('low', 'medium', 'high')),
    added_by text NOT NULL,
    added_at timestamptz NOT NULL,
    UNIQUE (at, title)
);
CREATE INDEX news_events_at ON news_events (at);
