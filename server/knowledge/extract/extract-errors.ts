import { appError, type AppError, type ErrorCode } from '../../errors.ts';

/** The error codes an extraction can fail with (statuses and messages live in `errors.ts`). */
export const extractErrorCodes = [
  'unsupported_file_type',
  'file_type_mismatch',
  'file_unreadable',
  'file_too_large_decompressed',
  'pdf_encrypted',
  'no_text_layer',
  'pdf_too_many_pages',
  'text_too_long',
  'extraction_timeout',
] as const satisfies readonly ErrorCode[];

/** An extraction error code. */
export type ExtractErrorCode = (typeof extractErrorCodes)[number];

/** True when `code` is one of the extraction error codes. */
export function isExtractErrorCode(code: unknown): code is ExtractErrorCode {
  return typeof code === 'string' && (extractErrorCodes as readonly string[]).includes(code);
}

/** An AppError for an extraction failure; `cause` is for logs only and never reaches a client. */
export function extractError(code: ExtractErrorCode, cause?: string): AppError {
  const err = appError(code);
  if (cause) err.cause = cause;
  return err;
}
