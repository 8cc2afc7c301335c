-- A slow cycle the tick path polled all through is blind only for the accounts it did not hold: the others
-- were judged at every poll and are counted here instead of checked again (propfirm.poller.gap_review).
ALTER TABLE gap_reviews ADD COLUMN watched integer NOT NULL DEFAULT 0 CHECK (watched >= 0);
