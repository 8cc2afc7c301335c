-- Outbound webhooks (propfirm.webhooks): the endpoints an admin subscribed, and one delivery per message
-- and endpoint, kept after it is delivered (what was sent, when, how many attempts) and listed as the
-- dead-letter list once its last attempt failed.
CREATE TABLE webhook_endpoints (
    id bigserial PRIMARY KEY,
    url text NOT NULL,
    description text NOT NULL DEFAULT '',
    event_types text[] NOT NULL DEFAULT '{}',  -- empty: every event type
    server text,                               -- only this MT5 server's events (NULL: every server's)
    secret text NOT NULL,                      -- whsec_…; signs every message
    previous_secret text,                      -- after a rotation, also signs until previous_secret_until
    previous_secret_until timestamptz,
    enabled boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE webhook_deliveries (
    id bigserial PRIMARY KEY,
    endpoint_id bigint NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    message_id text NOT NULL,                  -- webhook-id: the same on every attempt and redelivery
    event_type text NOT NULL,
    challenge_id bigint,
    body text NOT NULL,                        -- the exact bytes POSTed and signed
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts integer NOT NULL DEFAULT 0,       -- since it was recorded or last replayed
    replays integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    lease_until timestamptz,                   -- a sender holds it until then (two senders never POST at once)
    last_status integer,                       -- the receiver's HTTP status (NULL: no answer)
    last_error text,
    created_at timestamptz NOT NULL,
    delivered_at timestamptz,
    UNIQUE (endpoint_id, message_id)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, status, id DESC);
