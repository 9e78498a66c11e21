import { appError, type AppError, type ErrorCode } from '../../errors.ts';

/** Why an extraction failed, as stable error codes (to be added to `errors.ts`). */
export const extractErrorMessages = {
  unsupported_file_type: 'This file type is not supported. Upload PDF, DOCX, HTML, Markdown, CSV or plain text.',
  file_type_mismatch: "The file's content does not match its extension.",
  file_unreadable: 'The file is damaged or could not be read.',
  file_too_large_decompressed: 'The file expands to more data than allowed.',
  file_empty: 'The file contains no text to index.',
  pdf_encrypted: 'The PDF is password-protected. Upload a copy without a password.',
  no_text_layer: 'The PDF has no text layer (it looks like scanned images). Upload a PDF with selectable text.',
  pdf_too_many_pages: 'The PDF has more pages than allowed.',
  text_too_long: 'The document has more text than one source may hold.',
  extraction_timeout: 'Reading the file took too long.',
} as const;

/** An extraction error code. */
export type ExtractErrorCode = keyof typeof extractErrorMessages;

/** True when `code` is one of the extraction error codes. */
export function isExtractErrorCode(code: unknown): code is ExtractErrorCode {
  return typeof code === 'string' && Object.hasOwn(extractErrorMessages, code);
}

/** An AppError for an extraction failure; `cause` is for logs only and never reaches a client. */
export function extractError(code: ExtractErrorCode, cause?: string): AppError {
  const err = appError(code as ErrorCode, extractErrorMessages[code]);
  if (cause) err.cause = cause;
  return err;
}
