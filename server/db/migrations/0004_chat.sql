-- Chat: visitors (random secret id from the widget, stored hashed; optional email), conversations
-- (entry page, phase), messages (sources, confidence, tokens), leads, and metered AI usage.
-- No IP address is stored anywhere here.

CREATE TABLE visitors (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  secret_hash text NOT NULL UNIQUE,
  email text,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX visitors_site ON visitors (site_id);

CREATE TABLE conversations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  visitor_id uuid NOT NULL REFERENCES visitors (id) ON DELETE CASCADE,
  entry_page text,
  language text,
  phase text NOT NULL DEFAULT 'exploring' CHECK (phase IN ('exploring', 'learning', 'requesting_contact')),
  message_count int NOT NULL DEFAULT 0,
  last_confidence real,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversations_site_time ON conversations (site_id, created_at DESC);
CREATE INDEX conversations_visitor ON conversations (visitor_id);

CREATE TABLE messages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('user', 'assistant')),
  text text NOT NULL,
  sources jsonb NOT NULL DEFAULT '[]',
  confidence real,
  answered boolean,
  partial boolean NOT NULL DEFAULT false,
  phase text,
  model text,
  input_tokens int NOT NULL DEFAULT 0,
  output_tokens int NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at);
CREATE INDEX messages_site_time ON messages (site_id, created_at DESC);

CREATE TABLE leads (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  conversation_id uuid NOT NULL UNIQUE REFERENCES conversations (id) ON DELETE CASCADE,
  visitor_id uuid NOT NULL REFERENCES visitors (id) ON DELETE CASCADE,
  email text NOT NULL,
  status text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'contacted', 'closed')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX leads_site_time ON leads (site_id, created_at DESC);

CREATE TABLE ai_usage (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  site_id uuid REFERENCES sites (id) ON DELETE SET NULL,
  purpose text NOT NULL CHECK (purpose IN ('chat', 'embedding')),
  provider text NOT NULL,
  model text NOT NULL,
  input_tokens int NOT NULL DEFAULT 0,
  output_tokens int NOT NULL DEFAULT 0,
  cost_usd numeric(14, 8) NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ai_usage_tenant_time ON ai_usage (tenant_id, created_at DESC);

GRANT SELECT, INSERT, UPDATE, DELETE ON visitors, conversations, messages, leads TO cloop_app, cloop_system;
GRANT SELECT, INSERT ON ai_usage TO cloop_app, cloop_system;
GRANT DELETE ON ai_usage TO cloop_system;

ALTER TABLE visitors ENABLE ROW LEVEL SECURITY;
ALTER TABLE visitors FORCE ROW LEVEL SECURITY;
ALTER TABLE conversations ENABLE ROW LEVEL SECURITY;
ALTER TABLE conversations FORCE ROW LEVEL SECURITY;
ALTER TABLE messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE messages FORCE ROW LEVEL SECURITY;
ALTER TABLE leads ENABLE ROW LEVEL SECURITY;
ALTER TABLE leads FORCE ROW LEVEL SECURITY;
ALTER TABLE ai_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE ai_usage FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON visitors TO cloop_app USING (tenant_id = cloop_tenant_id()) WITH CHECK (tenant_id = cloop_tenant_id());
CREATE POLICY tenant_isolation ON conversations TO cloop_app USING (tenant_id = cloop_tenant_id()) WITH CHECK (tenant_id = cloop_tenant_id());
CREATE POLICY tenant_isolation ON messages TO cloop_app USING (tenant_id = cloop_tenant_id()) WITH CHECK (tenant_id = cloop_tenant_id());
CREATE POLICY tenant_isolation ON leads TO cloop_app USING (tenant_id = cloop_tenant_id()) WITH CHECK (tenant_id = cloop_tenant_id());
CREATE POLICY tenant_isolation ON ai_usage TO cloop_app USING (tenant_id = cloop_tenant_id()) WITH CHECK (tenant_id = cloop_tenant_id());
CREATE POLICY system_access ON visitors TO cloop_system USING (true) WITH CHECK (true);
CREATE POLICY system_access ON conversations TO cloop_system USING (true) WITH CHECK (true);
CREATE POLICY system_access ON messages TO cloop_system USING (true) WITH CHECK (true);
CREATE POLICY system_access ON leads TO cloop_system USING (true) WITH CHECK (true);
CREATE POLICY system_access ON ai_usage TO cloop_system USING (true) WITH CHECK (true);
