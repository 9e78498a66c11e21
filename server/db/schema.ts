import type { ColumnType, Generated } from 'kysely';

/** Timestamps: read as Date, written as Date or ISO string. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T = Record<string, unknown>> = ColumnType<T, T | string | undefined, T | string>;

export interface TenantsTable {
  id: Generated<string>;
  name: string;
  tier: ColumnType<'free' | 'pro' | 'business', 'free' | 'pro' | 'business' | undefined>;
  status: ColumnType<'active' | 'terminated' | 'demo', 'active' | 'terminated' | 'demo' | undefined>;
  daily_budget_usd: string | null;
  terminated_at: Date | null;
  expires_at: Date | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface UsersTable {
  id: Generated<string>;
  email: string | null;
  email_verified: ColumnType<boolean, boolean | undefined>;
  name: string | null;
  created_at: Timestamp;
  last_sign_in_at: Date | null;
}

export interface IdentitiesTable {
  id: Generated<string>;
  user_id: string;
  provider: string;
  subject: string;
  email: string | null;
  email_verified: ColumnType<boolean, boolean | undefined>;
  created_at: Timestamp;
}

export type Role = 'owner' | 'admin' | 'member';

export interface MembershipsTable {
  tenant_id: string;
  user_id: string;
  role: Role;
  created_at: Timestamp;
}

export interface SitesTable {
  id: Generated<string>;
  tenant_id: string;
  name: string;
  domains: ColumnType<string[], string[] | undefined>;
  embed_key: string;
  settings: Json;
  embedding_model: ColumnType<string, string | undefined>;
  embedding_dim: ColumnType<number, number | undefined>;
  chunk_count: ColumnType<number, number | undefined>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AuditEventsTable {
  id: Generated<string>;
  tenant_id: string | null;
  occurred_at: Timestamp;
  actor_type: 'user' | 'system' | 'visitor' | 'anonymous';
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  request_id: string | null;
  metadata: Json;
}


export interface SessionsTable {
  id: Generated<string>;
  user_id: string;
  active_tenant_id: string | null;
  created_at: Timestamp;
  last_used_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: Date | null;
  revoked_reason: string | null;
}

export interface RefreshTokensTable {
  id: Generated<string>;
  session_id: string;
  token_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Date | null;
}

export interface SigninLinksTable {
  token_hash: string;
  user_id: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Date | null;
}

export interface SigningKeysTable {
  kid: string;
  algorithm: string;
  public_jwk: Json;
  private_jwk_sealed: string;
  created_at: Timestamp;
  retired_at: Date | null;
}

export interface InvitationsTable {
  id: Generated<string>;
  tenant_id: string;
  email: string;
  role: Role;
  token_hash: string;
  created_by: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  accepted_at: Date | null;
  accepted_by: string | null;
  revoked_at: Date | null;
}

export type SourceKind = 'website' | 'page' | 'file';
export type SourceStatus = 'queued' | 'crawling' | 'processing' | 'ready' | 'failed' | 'cancelled';

export interface SourcesTable {
  id: Generated<string>;
  tenant_id: string;
  site_id: string;
  kind: SourceKind;
  url: string | null;
  include_patterns: ColumnType<string[], string[] | undefined>;
  exclude_patterns: ColumnType<string[], string[] | undefined>;
  max_pages: ColumnType<number, number | undefined>;
  max_depth: ColumnType<number, number | undefined>;
  file_key: string | null;
  file_name: string | null;
  file_size: number | null;
  file_kind: string | null;
  status: ColumnType<SourceStatus, SourceStatus | undefined>;
  progress: Json;
  error: string | null;
  generation: ColumnType<number, number | undefined>;
  last_sync_at: Date | null;
  next_sync_at: Date | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DocumentsTable {
  id: Generated<string>;
  tenant_id: string;
  site_id: string;
  source_id: string;
  url: string;
  title: ColumnType<string, string | undefined>;
  language: string | null;
  content_hash: string | null;
  etag: string | null;
  last_modified: string | null;
  status: ColumnType<'indexed' | 'skipped' | 'failed', 'indexed' | 'skipped' | 'failed' | undefined>;
  reason: string | null;
  chunk_count: ColumnType<number, number | undefined>;
  generation: ColumnType<number, number | undefined>;
  links: ColumnType<string[], string[] | undefined>;
  fetched_at: Date | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ChunksTable {
  id: Generated<number>;
  tenant_id: string;
  site_id: string;
  document_id: string;
  ordinal: number;
  text: string;
  heading_path: ColumnType<string[], string[] | undefined>;
  url: string;
  title: ColumnType<string, string | undefined>;
  page: number | null;
  ts_config: ColumnType<string, string | undefined>;
  tsv: string;
  embedding: string | null;
  /** The embedder model that made `embedding` (re-embedding converts a site after a change). */
  embedding_model: string;
}

export type Phase = 'exploring' | 'learning' | 'requesting_contact';

export interface VisitorsTable {
  id: Generated<string>;
  tenant_id: string;
  site_id: string;
  secret_hash: string;
  email: string | null;
  created_at: Timestamp;
  last_seen_at: Timestamp;
}

export interface ConversationsTable {
  id: Generated<string>;
  tenant_id: string;
  site_id: string;
  visitor_id: string;
  entry_page: string | null;
  language: string | null;
  phase: ColumnType<Phase, Phase | undefined>;
  message_count: ColumnType<number, number | undefined>;
  last_confidence: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface MessagesTable {
  id: Generated<string>;
  tenant_id: string;
  site_id: string;
  conversation_id: string;
  role: 'user' | 'assistant';
  text: string;
  sources: Json<unknown[]>;
  confidence: number | null;
  answered: boolean | null;
  partial: ColumnType<boolean, boolean | undefined>;
  phase: string | null;
  model: string | null;
  input_tokens: ColumnType<number, number | undefined>;
  output_tokens: ColumnType<number, number | undefined>;
  created_at: Timestamp;
}

export interface LeadsTable {
  id: Generated<string>;
  tenant_id: string;
  site_id: string;
  conversation_id: string;
  visitor_id: string;
  email: string;
  status: ColumnType<'new' | 'contacted' | 'closed', 'new' | 'contacted' | 'closed' | undefined>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AiUsageTable {
  id: Generated<number>;
  tenant_id: string;
  site_id: string | null;
  purpose: 'chat' | 'embedding';
  provider: string;
  model: string;
  input_tokens: number;
  output_tokens: number;
  cost_usd: string;
  created_at: Timestamp;
}

/** Every table Kysely may touch, by name. */
export interface DB {
  tenants: TenantsTable;
  users: UsersTable;
  identities: IdentitiesTable;
  memberships: MembershipsTable;
  sites: SitesTable;
  audit_events: AuditEventsTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  signin_links: SigninLinksTable;
  signing_keys: SigningKeysTable;
  invitations: InvitationsTable;
  sources: SourcesTable;
  documents: DocumentsTable;
  chunks: ChunksTable;
  visitors: VisitorsTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  leads: LeadsTable;
  ai_usage: AiUsageTable;
}
