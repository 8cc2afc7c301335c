-- What a trade deal traded in the account currency (volume × contract size × price × MT5's RateProfit), as
-- the poller read it: the evidence of a qualifying trade (NULL: MT5 did not say, and balance operations).
ALTER TABLE deals ADD COLUMN value numeric;
