-- Accounts: sessions with rotating refresh tokens, sign-in links, invitations, signing keys.
-- Sessions, refresh tokens, sign-in links and signing keys belong to users or to the system, not
-- to one tenant: RLS is forced on them with no policy for cloop_app (it sees nothing); only the
-- reviewed auth module reaches them as cloop_system.

CREATE TABLE sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- the tenant the session works in now (a user may switch between their tenants)
  active_tenant_id uuid REFERENCES tenants (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  revoked_reason text
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE revoked_at IS NULL;

CREATE TABLE refresh_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  token_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

CREATE TABLE signin_links (
  token_hash text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);

CREATE TABLE signing_keys (
  kid text PRIMARY KEY,
  algorithm text NOT NULL,
  public_jwk jsonb NOT NULL,
  -- AES-256-GCM under a key derived from CLOOP_SECRET
  private_jwk_sealed text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz
);

CREATE TABLE invitations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  email text NOT NULL,
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  token_hash text NOT NULL UNIQUE,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  accepted_by uuid REFERENCES users (id) ON DELETE SET NULL,
  revoked_at timestamptz
);
CREATE INDEX invitations_tenant ON invitations (tenant_id, created_at DESC);

GRANT SELECT, INSERT, UPDATE, DELETE ON sessions, refresh_tokens, signin_links, signing_keys, invitations TO cloop_system;
GRANT SELECT, INSERT, UPDATE, DELETE ON invitations TO cloop_app;

ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
ALTER TABLE refresh_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE refresh_tokens FORCE ROW LEVEL SECURITY;
ALTER TABLE signin_links ENABLE ROW LEVEL SECURITY;
ALTER TABLE signin_links FORCE ROW LEVEL SECURITY;
ALTER TABLE signing_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE signing_keys FORCE ROW LEVEL SECURITY;
ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON invitations TO cloop_app
  USING (tenant_id = cloop_tenant_id()) WITH CHECK (tenant_id = cloop_tenant_id());

CREATE POLICY system_access ON sessions TO cloop_system USING (true) WITH CHECK (true);
CREATE POLICY system_access ON refresh_tokens TO cloop_system USING (true) WITH CHECK (true);
CREATE POLICY system_access ON signin_links TO cloop_system USING (true) WITH CHECK (true);
CREATE POLICY system_access ON signing_keys TO cloop_system USING (true) WITH CHECK (true);
CREATE POLICY system_access ON invitations TO cloop_system USING (true) WITH CHECK (true);
