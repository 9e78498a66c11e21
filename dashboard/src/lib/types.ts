// Response shapes of the dashboard API. Shared ones come from contracts/ (types only: no runtime code).
export type { SiteSettings, SiteView } from '../../../contracts/sites.ts';
export type { SourceView } from '../../../contracts/knowledge.ts';
export type { CitedSource, Phase, WidgetConfig } from '../../../contracts/widget.ts';
export type { SearchHit } from '../../../contracts/knowledge.ts';
import type { TierName, TierSpec } from '../../../contracts/tenants.ts';
import type { CitedSource, Phase } from '../../../contracts/widget.ts';

/** A role in a workspace. */
export type Role = 'owner' | 'admin' | 'member';

/** A page of a list endpoint. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** `GET /api/me`. */
export interface Me {
  user: { id: string; email: string | null; name: string | null };
  tenantId: string | null;
  role: Role | null;
  memberships: { tenantId: string; tenantName: string; role: Role; tier: string }[];
}

/** `GET /api/tenant`. */
export interface Tenant {
  id: string;
  name: string;
  tier: TierName;
  status: string;
  dailyBudgetUsd: number;
  limits: TierSpec['limits'];
  features: TierSpec['features'];
  createdAt: string;
}

/** A source's progress record (server/knowledge/progress.ts). */
export interface SourceProgress {
  found?: number;
  fetched?: number;
  indexed?: number;
  unchanged?: number;
  skipped?: number;
  failed?: number;
  chunks?: number;
  skippedReasons?: Record<string, number>;
  errors?: { url: string; reason: string }[];
}

/** A lead's status. */
export type LeadStatus = 'new' | 'contacted' | 'closed';

/** One row of the inbox. */
export interface ConversationSummary {
  id: string;
  entryPage: string | null;
  phase: Phase;
  messageCount: number;
  confidence: number | null;
  language: string | null;
  firstQuestion: string | null;
  lead: { email: string; status: LeadStatus } | null;
  createdAt: string;
  updatedAt: string;
}

/** One message of a transcript. */
export interface TranscriptMessage {
  id: string;
  role: 'user' | 'assistant';
  text: string;
  phase: Phase | null;
  sources: CitedSource[];
  confidence: number | null;
  answered: boolean | null;
  partial: boolean;
  createdAt: string;
}

/** `GET /api/sites/:id/conversations/:cid`. */
export interface Conversation {
  id: string;
  entryPage: string | null;
  phase: Phase;
  language: string | null;
  createdAt: string;
  lead: { id: string; email: string; status: LeadStatus } | null;
  messages: TranscriptMessage[];
}

/** One lead. */
export interface Lead {
  id: string;
  email: string;
  status: LeadStatus;
  conversationId: string;
  entryPage: string | null;
  phase: Phase;
  createdAt: string;
  updatedAt: string;
}

/** A question with how often it was asked and its average confidence. */
export interface QuestionCount {
  question: string;
  count: number;
  confidence: number | null;
  /** Other wordings of the same question (grouped by meaning), most asked first. */
  variants: string[];
}

/** `GET /api/sites/:id/insights`. */
export interface Insights {
  days: number;
  perDay: { day: string; conversations: number; messages: number }[];
  funnel: { phase: Phase; count: number }[];
  leads: number;
  topQuestions: QuestionCount[];
  contentGaps: QuestionCount[];
}

/** `GET /api/usage`. */
export interface Usage {
  days: number;
  capUsd: number;
  todayCostUsd: number;
  capHitToday: boolean;
  perDay: { day: string; costUsd: number; tokens: number }[];
  byPurpose: { purpose: string; inputTokens: number; outputTokens: number; costUsd: number }[];
  bySite: { siteId: string | null; name: string | null; costUsd: number; tokens: number }[];
}

/** A member of the workspace. */
export interface Member {
  userId: string;
  email: string | null;
  name: string | null;
  role: Role;
  joinedAt: string;
}

/** A pending invitation. */
export interface Invitation {
  id: string;
  email: string;
  role: Role;
  createdAt: string;
  expiresAt: string;
}

/** One audit event. */
export interface AuditEvent {
  id: string;
  time: string;
  actor: { type: string; id: string | null };
  action: string;
  target: { type: string; id: string | null } | null;
  requestId: string | null;
  metadata: unknown;
}
