import { z } from 'zod';

// The widget API (`/widget/v1/…`). Versioned: scripts cached on customer sites keep working.
// Every request carries the site's embed key (`X-Cloop-Key` header, or `key` query parameter)
// and comes from a registered origin; chat, history and lead calls also carry the visitor token
// (`Authorization: Bearer <token>`) from `POST /widget/v1/session`.

/**
 * Body of `POST /widget/v1/session`: the visitor id the server issued earlier, kept in localStorage
 * (new visitors send none). It is a secret (256 random bits): whoever holds it reads that visitor's history.
 */
export const sessionBody = z.object({ visitorId: z.string().regex(/^[A-Za-z0-9_-]{40,64}$/).optional() }).strict();

/** Answer of `POST /widget/v1/session`. */
export interface SessionResponse {
  token: string;
  /** Seconds until the token expires; the widget asks for a new one before that. */
  expiresIn: number;
  visitorId: string;
}

/** Answer of `GET /widget/v1/config`: only public fields (an explicit allow-list). */
export interface WidgetConfig {
  siteName: string;
  greeting: string;
  starterQuestions: string[];
  languages: string[];
  colors: { primary: string; text: string };
  position: 'bottom-right' | 'bottom-left';
  emailCapture: 'off' | 'on_request' | 'after_first_answer';
  showBranding: boolean;
}

/** Body of `POST /widget/v1/chat`. */
export const chatBody = z
  .object({
    conversationId: z.uuid().optional(),
    message: z.string().trim().min(1).max(2000),
    /** The page the visitor is on (the first one becomes the conversation's entry page). */
    pageUrl: z.url({ protocol: /^https?$/ }).max(2048).optional(),
    /** The widget's UI language; the assistant answers in the visitor's language. */
    language: z.string().regex(/^[a-z]{2}(-[A-Za-z]{2})?$/).optional(),
  })
  .strict();

/** Body of `POST /widget/v1/lead`. */
export const leadBody = z.object({ conversationId: z.uuid(), email: z.email().max(320) }).strict();

/** The conversation phases. */
export type Phase = 'exploring' | 'learning' | 'requesting_contact';

/** A cited source as the widget shows it. */
export interface CitedSource {
  /** The citation number used in the answer text, e.g. [1]. */
  n: number;
  title: string;
  url: string | null;
  page: number | null;
}

/**
 * The server-sent events of `POST /widget/v1/chat`, in order: `phase` (first: carries the
 * conversation id), `token`…, `sources`, `done` — or `error` at any point.
 */
export type ChatEvent =
  | { type: 'phase'; conversationId: string; phase: Phase; askEmail: boolean }
  | { type: 'token'; text: string }
  | { type: 'sources'; sources: CitedSource[] }
  | { type: 'done'; conversationId: string; messageId: string; confidence: number; answered: boolean }
  | { type: 'error'; code: string; message: string };

/** One message of `GET /widget/v1/conversations/:id/messages`. */
export interface HistoryMessage {
  id: string;
  role: 'user' | 'assistant';
  text: string;
  sources: CitedSource[];
  createdAt: string;
}

/** Answer of `GET /widget/v1/conversations/:id/messages`. */
export interface HistoryResponse {
  conversationId: string;
  phase: Phase;
  hasEmail: boolean;
  messages: HistoryMessage[];
}
