-- Four eyes on payouts: the approvals given so far ({"sub", "email", "note", "at"} each). A payout above the
-- program's (or the setting's) amount needs two, by different people (propfirm.payouts.approvals).
ALTER TABLE payouts ADD COLUMN approvals jsonb NOT NULL DEFAULT '[]';
