import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { DB } from '../db/schema.ts';
import { withTenant } from '../db/tenant.ts';
import type { Admission, StateStore } from '../platform/state/state-store.ts';

// Money is counted in micro-dollars (integers) so the state store can add atomically.
const micro = (usd: number) => Math.ceil(usd * 1_000_000);
const dayMs = 86_400_000;
/** How long a day's counters live from their creation: a day and an hour. */
const counterTtlMs = dayMs + 3_600_000;

function dayKey(tenantId: string, now = new Date()): string {
  return `budget:${tenantId}:${now.toISOString().slice(0, 10)}`;
}

/** Set once a day's counter holds what `ai_usage` had spent that day before it existed. */
const seededKey = (key: string) => `${key}:seeded`;

/** A reservation to settle once the real cost is known. */
export interface Reservation {
  key: string;
  reservedMicro: number;
}

/**
 * The reservation of one call's worst-case cost against the daily cap, as part of a state-store
 * admission (made with the message's rate limits, in one round trip): it is made only once the day's
 * counter is seeded; otherwise (`unready`) `reserveBudget` seeds and reserves.
 */
export function budgetReservation(tenantId: string, capUsd: number, worstCaseUsd: number): NonNullable<Admission['reserve']> {
  const key = dayKey(tenantId);
  return { key, by: micro(worstCaseUsd), cap: micro(capUsd), ttlMs: counterTtlMs, readyKey: seededKey(key) };
}

/** The reservation an admission took with `budgetReservation`'s plan. */
export function reservationOf(plan: NonNullable<Admission['reserve']>): Reservation {
  return { key: plan.key, reservedMicro: plan.by };
}

/**
 * Reserves the worst-case cost of one call against the tenant's daily cap (UTC day), atomically:
 * of many concurrent requests, the ones that would pass the cap are refused. Null when over the cap.
 * A counter new for the day is seeded from the day's metered usage, so a restart forgets nothing.
 */
export async function reserveBudget(state: StateStore, db: Kysely<DB>, tenantId: string, capUsd: number, worstCaseUsd: number): Promise<Reservation | null> {
  const key = dayKey(tenantId);
  await seedDay(state, db, tenantId, key);
  const reserve = micro(worstCaseUsd);
  const total = await state.incr(key, reserve, counterTtlMs);
  if (total > micro(capUsd)) {
    await state.incr(key, -reserve, counterTtlMs);
    return null;
  }
  return { key, reservedMicro: reserve };
}

/**
 * A day's counter starts from what the metered usage already says (a restart, or a lost Redis key,
 * forgets nothing). Exactly one caller seeds it; the others wait until it is seeded, so no request
 * is checked against an unseeded counter.
 */
async function seedDay(state: StateStore, db: Kysely<DB>, tenantId: string, key: string): Promise<void> {
  const done = seededKey(key);
  if (await state.get(done)) return;
  if ((await state.incr(`${key}:seeding`, 1, 60_000)) === 1) {
    try {
      const spent = await spentToday(db, tenantId);
      if (spent > 0) await state.incr(key, micro(spent), counterTtlMs);
      await state.set(done, '1', counterTtlMs);
    } catch (err) {
      await state.del(`${key}:seeding`).catch(() => {});
      throw err;
    }
    return;
  }
  for (let i = 0; i < 200; i++) {
    if (await state.get(done)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('budget counter was not seeded in time');
}

/** Replaces the reservation with the real cost. */
export async function settleBudget(state: StateStore, reservation: Reservation, actualUsd: number): Promise<void> {
  const delta = micro(actualUsd) - reservation.reservedMicro;
  if (delta !== 0) await state.incr(reservation.key, delta, counterTtlMs);
}

/** What the tenant spent today (UTC), from the metered usage. */
export async function spentToday(db: Kysely<DB>, tenantId: string): Promise<number> {
  const since = new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00Z');
  const row = await withTenant(db, tenantId, (tx) =>
    tx.selectFrom('ai_usage').select(sql<string>`coalesce(sum(cost_usd), 0)`.as('usd')).where('created_at', '>=', since).executeTakeFirstOrThrow(),
  );
  return Number(row.usd);
}
