import type { Database } from '../db/database.ts';
import type { SourceStatus } from '../db/schema.ts';
import { withTenant } from '../db/tenant.ts';

const harmless = new Set(['off_host', 'page_limit']);

/** A source's progress as the dashboard shows it. */
export interface SourceProgress {
  found: number;
  fetched: number;
  indexed: number;
  unchanged: number;
  skipped: number;
  failed: number;
  chunks: number;
  skippedReasons: Record<string, number>;
  /** The latest per-page problems (at most 200). */
  errors: { url: string; reason: string }[];
}

/** An empty progress record. */
export function emptyProgress(): SourceProgress {
  return { found: 0, fetched: 0, indexed: 0, unchanged: 0, skipped: 0, failed: 0, chunks: 0, skippedReasons: {}, errors: [] };
}

/**
 * Counts a sync's progress and writes it to the source row at most every 250 ms; each write also
 * reads back whether the source was cancelled meanwhile (by any API process).
 */
export class ProgressTracker {
  readonly progress = emptyProgress();
  private lastWrite = 0;
  private writing: Promise<void> | null = null;
  cancelled = false;

  constructor(
    private readonly db: Database['db'],
    private readonly tenantId: string,
    private readonly sourceId: string,
    private readonly onCancel: () => void,
  ) {}

  /** Notes a skipped or failed URL with its reason. */
  problem(url: string, reason: string, failed = false): void {
    if (failed) this.progress.failed++;
    else this.progress.skipped++;
    this.progress.skippedReasons[reason] = (this.progress.skippedReasons[reason] ?? 0) + 1;
    this.progress.errors.push({ url: url.slice(0, 500), reason });
    if (this.progress.errors.length > 200) {
      // Over the cap, links to other sites make room first: the pages of the site matter more.
      const i = this.progress.errors.findIndex((e) => harmless.has(e.reason));
      this.progress.errors.splice(i === -1 ? 0 : i, 1);
    }
  }

  /** Writes the progress if the last write is older than 250 ms (or when `force`). */
  async flush(force = false, status?: SourceStatus): Promise<void> {
    if (!force && Date.now() - this.lastWrite < 250) return;
    if (this.writing) await this.writing;
    this.lastWrite = Date.now();
    this.writing = this.write(status).finally(() => (this.writing = null));
    await this.writing;
  }

  private async write(status?: SourceStatus): Promise<void> {
    const row = await withTenant(this.db, this.tenantId, (tx) =>
      tx
        .updateTable('sources')
        .set({ progress: JSON.stringify(this.progress), updated_at: new Date(), ...(status ? { status } : {}) })
        .where('id', '=', this.sourceId)
        .where('status', '!=', 'cancelled')
        .returning('status')
        .executeTakeFirst(),
    );
    if (!row && !this.cancelled) {
      this.cancelled = true;
      this.onCancel();
    }
  }
}
