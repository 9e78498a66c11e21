import { z } from 'zod';
import { appError } from '../errors.ts';

/** Query of every list endpoint: `limit` (1–100, default 20) and an opaque `cursor`. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

/** Encodes a keyset position (time + id) as an opaque cursor. */
export function encodeCursor(createdAt: Date, id: string | number): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

/** Decodes a cursor made by `encodeCursor`; `validation_failed` when it was tampered with. */
export function decodeCursor(cursor: string | undefined): { createdAt: Date; id: string } | undefined {
  if (!cursor) return undefined;
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const createdAt = new Date(at);
    if (Number.isNaN(createdAt.getTime()) || (typeof id !== 'string' && typeof id !== 'number')) throw new Error('bad cursor');
    return { createdAt, id: String(id) };
  } catch {
    throw appError('validation_failed', 'The cursor is not valid.', { fields: [{ field: 'cursor', problem: 'not a valid cursor' }] });
  }
}

/** Splits a `limit + 1` result into the page and the next cursor. */
export function page<T extends { created_at: Date; id: string | number }, V>(rows: T[], limit: number, present: (row: T) => V): { items: V[]; nextCursor: string | null } {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  const last = items.at(-1);
  return { items: items.map(present), nextCursor: more && last ? encodeCursor(last.created_at, last.id) : null };
}
