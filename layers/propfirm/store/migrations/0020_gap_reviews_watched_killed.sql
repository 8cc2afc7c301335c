-- What a blind interval's check did not need to judge.
-- A slow cycle the tick path polled all through is blind only for the accounts it did not hold: the others
-- were judged at every poll and are counted here instead of checked again (propfirm.poller.gap_review).
ALTER TABLE gap_reviews ADD COLUMN watched integer NOT NULL DEFAULT 0 CHECK (watched >= 0);
-- An account the poller killed for the floor it would be judged against was seen crossing it and acted on
-- (the evaluator has the kill): counted, not a finding.
ALTER TABLE gap_reviews ADD COLUMN killed integer NOT NULL DEFAULT 0 CHECK (killed >= 0);
