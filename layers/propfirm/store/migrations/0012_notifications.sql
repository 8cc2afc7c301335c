-- Notifications (propfirm.notify): one row per event and recipient on a channel, so a redelivered event
-- tells nobody twice; `held` rows are what the rate limit kept back (the next message sent says how many).
CREATE TABLE notifications (
    id bigserial PRIMARY KEY,
    message_id text NOT NULL,                 -- the event's identity (as the webhooks' webhook-id)
    event_type text NOT NULL,
    challenge_id bigint,
    channel text NOT NULL,                    -- telegram | discord | email
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    status text NOT NULL CHECK (status IN ('pending', 'sent', 'held', 'failed')),
    error text,
    created_at timestamptz NOT NULL,
    sent_at timestamptz,
    UNIQUE (message_id, channel, recipient)
);
CREATE INDEX notifications_recent ON notifications (channel, recipient, created_at DESC);
