-- The CRM sync feed (GET /admin/crm/challenges): each challenge's `crm_changed_at` moves when something a CRM
-- keeps moves (the account assigned, the status, the phase, any payout's status), not with every routine
-- state save, so a CRM reading the feed from its last cursor reads what changed and nothing more.
ALTER TABLE challenges ADD COLUMN crm_changed_at timestamptz;
UPDATE challenges SET crm_changed_at = updated_at;
ALTER TABLE challenges ALTER COLUMN crm_changed_at SET NOT NULL,
                       ALTER COLUMN crm_changed_at SET DEFAULT clock_timestamp();

CREATE FUNCTION challenges_crm_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status OR NEW.phase IS DISTINCT FROM OLD.phase
       OR NEW.login IS DISTINCT FROM OLD.login OR NEW.server IS DISTINCT FROM OLD.server THEN
        NEW.crm_changed_at := clock_timestamp();
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER challenges_crm BEFORE UPDATE ON challenges
    FOR EACH ROW EXECUTE FUNCTION challenges_crm_changed();

CREATE FUNCTION payouts_crm_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
        UPDATE challenges SET crm_changed_at = clock_timestamp() WHERE id = NEW.challenge_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER payouts_crm AFTER INSERT OR UPDATE OF status ON payouts
    FOR EACH ROW EXECUTE FUNCTION payouts_crm_changed();

CREATE INDEX challenges_crm_changed ON challenges (crm_changed_at, id);
