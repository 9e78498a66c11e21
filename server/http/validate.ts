import type { z } from 'zod';
import { appError } from '../errors.ts';

/** Parses input with a zod schema, or throws `validation_failed` listing every bad field. */
export function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const fields = result.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', problem: i.message }));
  throw appError('validation_failed', `Some fields are not valid: ${fields.map((f) => f.field).join(', ')}.`, { fields });
}
