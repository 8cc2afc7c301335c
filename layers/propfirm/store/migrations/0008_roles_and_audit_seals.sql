-- Who may do what in the database, and seals on the audit log.
--
-- The migration role (the one this file runs as) owns the schema. The application's functions connect as
-- a login that is a member of `propfirm_app`, which may read and write the operational tables and may only
-- INSERT and SELECT the audit log: no UPDATE, DELETE or TRUNCATE, and no way to disable its trigger or
-- alter it (that takes the owner). Roles are the cluster's: created once, whatever database runs this.
DO $$
BEGIN
    CREATE ROLE propfirm_app NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;  -- made by another database of the cluster (or a concurrent migration) already
END
$$;

GRANT USAGE ON SCHEMA public TO propfirm_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO propfirm_app;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO propfirm_app;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM propfirm_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations FROM propfirm_app;
-- tables and sequences later migrations create (as the migration role) are the application's too
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO propfirm_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO propfirm_app;

-- The equity points' monthly partitions are created and dropped by the scheduled relay, which runs as the
-- application: the two housekeeping functions run with their owner's rights (and a fixed search path), so
-- the application needs no CREATE or DROP of its own.
ALTER FUNCTION equity_points_add_partition(date) SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION equity_points_drop_before(timestamptz) SECURITY DEFINER SET search_path = public, pg_temp;
REVOKE EXECUTE ON FUNCTION equity_points_add_partition(date) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION equity_points_drop_before(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION equity_points_add_partition(date) TO propfirm_app;
GRANT EXECUTE ON FUNCTION equity_points_drop_before(timestamptz) TO propfirm_app;

-- Each audit row's seal: a MAC of "{id}:{hash}" with a key PostgreSQL cannot use (propfirm.store.seals).
-- Rows written before this migration have none; every row written after it has one.
ALTER TABLE audit_log ADD COLUMN seal text;
