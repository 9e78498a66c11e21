-- Retention (server/retention): the hourly sweep finds what has expired through these indexes
-- instead of scanning whole tables. No new table, so no new RLS policy.

-- Audit events older than 12 months, across tenants (and the tenant-less sign-in events).
CREATE INDEX audit_events_time ON audit_events (occurred_at);

-- Conversations past their tier's retention, by last activity, one tenant at a time.
CREATE INDEX conversations_tenant_updated ON conversations (tenant_id, updated_at);

-- Visitors without conversations who have not been seen within the retention period.
CREATE INDEX visitors_tenant_seen ON visitors (tenant_id, last_seen_at);

-- Terminated and demo tenants whose data is due for purging.
CREATE INDEX tenants_expiry ON tenants (expires_at) WHERE status IN ('terminated', 'demo');

-- Deleting a tenant cascades through every tenant_id foreign key; without an index each cascade
-- would scan the whole table (every tenant's chunks and messages) once per purged tenant.
CREATE INDEX chunks_tenant ON chunks (tenant_id);
CREATE INDEX messages_tenant ON messages (tenant_id);
CREATE INDEX documents_tenant ON documents (tenant_id);
CREATE INDEX sources_tenant ON sources (tenant_id);
CREATE INDEX leads_tenant ON leads (tenant_id);
