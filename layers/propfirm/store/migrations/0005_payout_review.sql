-- Payouts: a deal is paid at most once (enforced by the database), approvals that escalate when nobody
-- answers in time, a manual-review state for what the workflow could not settle, and review flags (the
-- balance cross-check).

-- A payout's deals stay claimed while it may still be paid; a rejected or failed payout releases them
-- (the trigger below), so the next request covers them again. At most one claim per deal, ever.
ALTER TABLE payout_deals ADD COLUMN claimed boolean NOT NULL DEFAULT true;
UPDATE payout_deals pd SET claimed = false
  FROM payouts p WHERE p.id = pd.payout_id AND p.status IN ('rejected', 'failed');
CREATE UNIQUE INDEX payout_deals_paid_once ON payout_deals (server, ticket) WHERE claimed;

CREATE FUNCTION payout_deals_release() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE payout_deals SET claimed = false WHERE payout_id = NEW.id AND claimed;
    RETURN NULL;
END $$;

CREATE TRIGGER payouts_release_deals AFTER UPDATE OF status ON payouts
    FOR EACH ROW WHEN (NEW.status IN ('rejected', 'failed') AND OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION payout_deals_release();

-- A finished payout never changes state again (a paid payout cannot be rejected, a failed one revived).
CREATE FUNCTION payouts_final_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'payout % is % and cannot become %', OLD.id, OLD.status, NEW.status
        USING ERRCODE = 'check_violation';
END $$;

CREATE TRIGGER payouts_final_state BEFORE UPDATE OF status ON payouts
    FOR EACH ROW WHEN (OLD.status IN ('paid', 'rejected', 'failed') AND OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION payouts_final_state();

-- manual_review: the workflow stopped on something a person must settle (an error after its retries, a
-- withdrawal whose outcome is unknown, a record that could not be written after the money left). It
-- stays open: its deals stay claimed and no second request starts until it is resolved.
ALTER TABLE payouts DROP CONSTRAINT payouts_status_known;
ALTER TABLE payouts ADD CONSTRAINT payouts_status_known CHECK (status IN
    ('requested', 'awaiting_approval', 'approved', 'withdrawing', 'manual_review', 'paid', 'rejected',
     'failed'));
DROP INDEX payouts_one_open;
CREATE UNIQUE INDEX payouts_one_open ON payouts (challenge_id)
    WHERE status IN ('requested', 'awaiting_approval', 'approved', 'withdrawing', 'manual_review');

ALTER TABLE payouts
    ADD COLUMN escalated_at     timestamptz,                 -- the approval waited past its timeout
    ADD COLUMN review_at        timestamptz,                 -- entered manual_review
    ADD COLUMN review_from      text,                        -- the state it was in then
    ADD COLUMN flags            jsonb NOT NULL DEFAULT '[]'; -- review flags: [{"code", "detail"}, ...]
