-- Core schema: tenants, users and their identities, memberships, sites, audit events.
-- Tenant isolation: every table holding tenant data has tenant_id and FORCED row-level security.
-- The application works as cloop_app (tenant-bound) or cloop_system (the few reviewed
-- cross-tenant reads); neither owns anything nor bypasses RLS.

CREATE EXTENSION IF NOT EXISTS vector;

DO $$ BEGIN
  CREATE ROLE cloop_app NOLOGIN NOBYPASSRLS NOINHERIT;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
DO $$ BEGIN
  CREATE ROLE cloop_system NOLOGIN NOBYPASSRLS NOINHERIT;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
-- The connecting (owner) role must be able to SET ROLE to both.
DO $$ BEGIN
  EXECUTE format('GRANT cloop_app, cloop_system TO %I', current_user);
EXCEPTION WHEN others THEN NULL; END $$;

-- The tenant bound to the current transaction, or NULL.
CREATE OR REPLACE FUNCTION cloop_tenant_id() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;

CREATE TABLE tenants (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  tier text NOT NULL DEFAULT 'free' CHECK (tier IN ('free', 'pro', 'business')),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'terminated', 'demo')),
  daily_budget_usd numeric(12, 4) CHECK (daily_budget_usd >= 0),
  terminated_at timestamptz,
  expires_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text,
  email_verified boolean NOT NULL DEFAULT false,
  name text,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_sign_in_at timestamptz
);
CREATE UNIQUE INDEX users_verified_email ON users (lower(email)) WHERE email_verified;

CREATE TABLE identities (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  provider text NOT NULL,
  subject text NOT NULL,
  email text,
  email_verified boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (provider, subject)
);
CREATE INDEX identities_user ON identities (user_id);

CREATE TABLE memberships (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE sites (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  domains text[] NOT NULL DEFAULT '{}',
  embed_key text NOT NULL UNIQUE,
  settings jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sites_tenant ON sites (tenant_id, created_at);

CREATE TABLE audit_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid REFERENCES tenants (id) ON DELETE CASCADE,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  actor_type text NOT NULL CHECK (actor_type IN ('user', 'system', 'visitor', 'anonymous')),
  actor_id text,
  action text NOT NULL,
  target_type text,
  target_id text,
  request_id text,
  metadata jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_tenant_time ON audit_events (tenant_id, occurred_at DESC);

-- Privileges: the two roles own nothing; audit events are append-only for the application.
GRANT USAGE ON SCHEMA public TO cloop_app, cloop_system;
GRANT SELECT, INSERT, UPDATE, DELETE ON tenants, users, identities, memberships, sites TO cloop_app, cloop_system;
GRANT SELECT, INSERT ON audit_events TO cloop_app, cloop_system;
GRANT DELETE ON audit_events TO cloop_system;

-- Row-level security, forced so that even the owner is subject to it.
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants TO cloop_app
  USING (id = cloop_tenant_id()) WITH CHECK (id = cloop_tenant_id());

ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON memberships TO cloop_app
  USING (tenant_id = cloop_tenant_id()) WITH CHECK (tenant_id = cloop_tenant_id());

ALTER TABLE sites ENABLE ROW LEVEL SECURITY;
ALTER TABLE sites FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sites TO cloop_app
  USING (tenant_id = cloop_tenant_id()) WITH CHECK (tenant_id = cloop_tenant_id());

ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_events TO cloop_app
  USING (tenant_id = cloop_tenant_id()) WITH CHECK (tenant_id = cloop_tenant_id());

-- Users and identities are global, but a tenant sees only the users who are its members.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_members ON users FOR SELECT TO cloop_app
  USING (EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id));

ALTER TABLE identities ENABLE ROW LEVEL SECURITY;
ALTER TABLE identities FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_members ON identities FOR SELECT TO cloop_app
  USING (EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = identities.user_id));

-- cloop_system: the reviewed cross-tenant module (embed-key lookup, sign-in, retention).
CREATE POLICY system_access ON tenants TO cloop_system USING (true) WITH CHECK (true);
CREATE POLICY system_access ON users TO cloop_system USING (true) WITH CHECK (true);
CREATE POLICY system_access ON identities TO cloop_system USING (true) WITH CHECK (true);
CREATE POLICY system_access ON memberships TO cloop_system USING (true) WITH CHECK (true);
CREATE POLICY system_access ON sites TO cloop_system USING (true) WITH CHECK (true);
CREATE POLICY system_access ON audit_events TO cloop_system USING (true) WITH CHECK (true);
