-- A trader is the identity provider's immutable subject (`sub`), never an email: an email is an attribute a
-- user can change. Each trader row keeps the sub of the login bound to it and where that sub came from:
--   identity_provider  the login the purchase webhook created or found in Cognito (a verified trader)
--   local              generated here, for a run without an identity provider (propfirm dev, tests)
--   unbound            no login may have it: the purchase's email belonged to a login that must not be
--                      granted anything (another role's, or an unverified email change); support binds it
-- Rows from before this migration get a local sub; the next purchase through Cognito rebinds them.
ALTER TABLE traders ADD COLUMN sub text;
ALTER TABLE traders ADD COLUMN sub_origin text NOT NULL DEFAULT 'local'
    CHECK (sub_origin IN ('identity_provider', 'local', 'unbound'));
UPDATE traders SET sub = gen_random_uuid()::text WHERE sub IS NULL;
ALTER TABLE traders ALTER COLUMN sub SET NOT NULL;
CREATE UNIQUE INDEX traders_sub_key ON traders (sub);
