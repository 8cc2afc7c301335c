-- Payouts: the workflow's states with a timestamp for each stage, who asked and who decided, the
-- amounts and their breakdown, the Step Functions execution and its task tokens, and the withdrawal.
-- 0001 created `payouts` (amount, trader_share, status, requested_at, decided_at, paid_at, reason) and
-- `payout_deals`; this adds the rest. States: requested → awaiting_approval → approved → withdrawing →
-- paid | rejected | failed.

ALTER TABLE payouts
    ADD COLUMN server                 text,
    ADD COLUMN login                  bigint,
    ADD COLUMN currency               text NOT NULL DEFAULT 'USD',
    ADD COLUMN payout_number          integer NOT NULL DEFAULT 1,   -- 1 for the challenge's first
    ADD COLUMN profit                 numeric,                      -- realised P&L of the positions covered
    ADD COLUMN split_pct              numeric,
    ADD COLUMN fee_refund             numeric NOT NULL DEFAULT 0,
    ADD COLUMN period_start           timestamptz,
    ADD COLUMN period_end             timestamptz,
    ADD COLUMN details                jsonb NOT NULL DEFAULT '{}',  -- the quote: positions, best day, ...
    ADD COLUMN requested_by           text,
    ADD COLUMN awaiting_approval_at   timestamptz,
    ADD COLUMN decided_by             text,
    ADD COLUMN decision_note          text,
    ADD COLUMN approved_at            timestamptz,
    ADD COLUMN rejected_at            timestamptz,
    ADD COLUMN withdrawing_at         timestamptz,
    ADD COLUMN failed_at              timestamptz,
    ADD COLUMN completed_at           timestamptz,                  -- the workflow's last task ran
    ADD COLUMN execution_arn          text,
    ADD COLUMN approval_token         text,                         -- AwaitApproval's task token
    ADD COLUMN approval_answered_at   timestamptz,                  -- the token was answered
    ADD COLUMN withdrawal_token       text,                         -- AwaitWithdrawal's task token
    ADD COLUMN withdrawal_command_id  text,                         -- payout:{id}:withdraw (outbox)
    ADD COLUMN withdrawal_answered_at timestamptz,
    ADD COLUMN withdrawal_deal        bigint,                       -- the MT5 deal of the withdrawal
    ADD COLUMN updated_at             timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT payouts_status_known CHECK (status IN
        ('requested', 'awaiting_approval', 'approved', 'withdrawing', 'paid', 'rejected', 'failed'));

-- At most one payout of a challenge in progress: a second request is refused (payout_open).
CREATE UNIQUE INDEX payouts_one_open ON payouts (challenge_id)
    WHERE status IN ('requested', 'awaiting_approval', 'approved', 'withdrawing');
CREATE INDEX payouts_challenge ON payouts (challenge_id, id);
CREATE INDEX payouts_status ON payouts (status, id);
CREATE UNIQUE INDEX payouts_withdrawal_command ON payouts (withdrawal_command_id)
    WHERE withdrawal_command_id IS NOT NULL;
CREATE INDEX payout_deals_ticket ON payout_deals (server, ticket);
