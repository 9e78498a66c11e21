/**
 * The one error type. Every failure a client can see has a code from this closed table,
 * and the table alone decides the HTTP status.
 */
export const errorStatus = {
  bad_request: 400,
  invalid_json: 400,
  validation_failed: 400,
  unauthorized: 401,
  invalid_token: 401,
  forbidden: 403,
  not_found: 404,
  route_not_found: 404,
  object_not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  tier_limit: 402,
  feature_not_in_tier: 403,
  sign_in_failed: 400,
  provider_not_found: 404,
  invitation_invalid: 400,
  invitation_used: 400,
  invitation_expired: 400,
  invitation_email_mismatch: 400,
  last_owner: 409,
  site_not_found: 404,
  member_not_found: 404,
  invitation_not_found: 404,
  tenant_not_found: 404,
  signin_links_disabled: 403,
  url_not_allowed: 400,
  fetch_failed: 502,
  source_not_found: 404,
  file_empty: 400,
  embedding_failed: 502,
  llm_failed: 502,
  embed_key_invalid: 401,
  origin_not_allowed: 403,
  conversation_not_found: 404,
  lead_not_found: 404,
  unsupported_file_type: 415,
  file_type_mismatch: 415,
  file_unreadable: 422,
  file_too_large_decompressed: 413,
  pdf_encrypted: 422,
  no_text_layer: 422,
  pdf_too_many_pages: 413,
  text_too_long: 413,
  extraction_timeout: 422,
  internal: 500,
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

const defaultMessages: Record<ErrorCode, string> = {
  bad_request: 'The request is not valid.',
  invalid_json: 'The request body is not valid JSON.',
  validation_failed: 'Some fields are not valid.',
  unauthorized: 'Sign in to continue.',
  invalid_token: 'The access token is missing, expired or not valid.',
  forbidden: 'You are not allowed to do this.',
  not_found: 'Not found.',
  route_not_found: 'There is no such endpoint.',
  object_not_found: 'The file was not found.',
  method_not_allowed: 'This endpoint does not accept that method.',
  conflict: 'The request conflicts with the current state.',
  payload_too_large: 'The request body is too large.',
  unsupported_media_type: 'The request body has an unsupported content type.',
  rate_limited: 'Too many requests. Try again later.',
  tier_limit: 'Your plan does not allow more of this.',
  feature_not_in_tier: 'Your plan does not include this feature.',
  sign_in_failed: 'Sign-in did not complete. Please try again.',
  provider_not_found: 'There is no such sign-in provider.',
  invitation_invalid: 'This invitation link is not valid.',
  invitation_used: 'This invitation has already been used.',
  invitation_expired: 'This invitation has expired.',
  invitation_email_mismatch: 'This invitation is for another email address.',
  last_owner: 'A workspace must keep at least one Owner.',
  site_not_found: 'Site not found.',
  member_not_found: 'Member not found.',
  invitation_not_found: 'Invitation not found.',
  tenant_not_found: 'Workspace not found.',
  signin_links_disabled: 'Sign-in links are turned off on this server.',
  url_not_allowed: 'This address cannot be fetched.',
  fetch_failed: 'The address could not be fetched.',
  source_not_found: 'Source not found.',
  file_empty: 'The file is empty.',
  embedding_failed: 'The embedding provider failed. Try again later.',
  llm_failed: 'The assistant could not answer right now. Try again later.',
  embed_key_invalid: 'This chat widget is not set up correctly (unknown site key).',
  origin_not_allowed: 'This website is not allowed to use this chat widget.',
  conversation_not_found: 'This conversation does not exist.',
  lead_not_found: 'Lead not found.',
  unsupported_file_type: 'This file type is not supported. Upload PDF, DOCX, HTML, Markdown, CSV or plain text.',
  file_type_mismatch: "The file's content does not match its extension.",
  file_unreadable: 'The file is damaged or could not be read.',
  file_too_large_decompressed: 'The file expands to more data than allowed.',
  pdf_encrypted: 'The PDF is password-protected. Upload a copy without a password.',
  no_text_layer: 'The PDF has no text layer (it looks like scanned images). Upload a PDF with selectable text.',
  pdf_too_many_pages: 'The PDF has more pages than allowed.',
  text_too_long: 'The document has more text than one source may hold.',
  extraction_timeout: 'Reading the file took too long.',
  internal: 'Something went wrong on our side.',
  service_unavailable: 'The service is temporarily unavailable. Try again shortly.',
};

/** An error a client may see: a stable code, a safe message, optional structured details. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;
  /** Extra response headers (e.g. `Retry-After`, `Allow`). */
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message?: string, details?: unknown, headers: Record<string, string> = {}) {
    super(message ?? defaultMessages[code]);
    this.name = 'AppError';
    this.code = code;
    this.status = errorStatus[code];
    this.details = details;
    this.headers = headers;
  }
}

/** Creates an AppError: `throw appError('site_not_found')`. */
export function appError(code: ErrorCode, message?: string, details?: unknown, headers?: Record<string, string>): AppError {
  return new AppError(code, message, details, headers);
}

/** True for errors that mean a backing service (database, state store, object store) is unreachable. */
export function isOutage(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; message?: unknown; name?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code)) return true;
  // PostgreSQL: connection exceptions (08), operator intervention (57P01-57P03), insufficient resources (53).
  if (/^(08|53|57P0)/.test(code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  if (/Connection terminated|connection timeout|Connection is closed|Stream isn't writeable|enableOfflineQueue|MaxRetriesPerRequest|timeout exceeded when trying to connect/i.test(message)) return true;
  return e.name === 'OutageError';
}
