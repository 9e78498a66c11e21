import type { ExtractErrorCode } from './extract-errors.ts';
import type { ExtractedDocument, ExtractLimits, SourceKind } from './types.ts';

/** One extraction sent to a worker. */
export interface WorkerRequest {
  id: number;
  kind: SourceKind;
  bytes: Uint8Array;
  opts: { url?: string | undefined; filename?: string | undefined };
  limits: ExtractLimits;
}

/** A worker's answer to one request. */
export type WorkerReply =
  | { id: number; ok: true; doc: ExtractedDocument }
  | { id: number; ok: false; code: ExtractErrorCode; cause?: string | undefined };
