// API codes (page problems, source errors, statuses) in plain words; unknown codes are shown readably.
import { isKey, type Translate } from '../../i18n/index.ts';

/** Why a page was skipped or failed, or why a source failed. */
export function reasonText(t: Translate, code: string): string {
  const key = `reason.${code}`;
  return isKey(key) ? t(key) : code.replace(/_/g, ' ');
}

/** A status word (`ready`, `crawling`…). */
export function statusText(t: Translate, status: string): string {
  const key = `status.${status}`;
  return isKey(key) ? t(key) : status.replace(/_/g, ' ');
}
