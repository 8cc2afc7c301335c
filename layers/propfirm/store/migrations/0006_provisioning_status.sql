-- A purchased challenge waiting for its MT5 account is `provisioning` (the purchase webhook's contract),
-- no longer `pending_account`.
UPDATE challenges SET status = 'provisioning' WHERE status = 'pending_account';
