// zod primitives for server JSON that every provider's schema shares. Servers and plugins are not
// consistent about number-vs-string, so numbers accept numeric strings and ids accept numbers.
import { z } from 'zod';
import type { BadPosition } from '../core/model.ts';

/** A number, or a string holding one (some PMS builds and plugins quote numbers). */
export const lenientNumber = z.union([
  z.number(),
  z
    .string()
    .regex(/^-?\d+(\.\d+)?$/)
    .transform(Number)
    // 400 digits are a number too, but not a finite one.
    .pipe(z.number()),
]);

/** Ids are opaque strings; a number is taken as its text. */
export const lenientId = z.union([z.string(), z.number().transform(String)]);

/** A position field as sent: a number, or any text. A server bug may send "NaN" or "-1"; the
 * provider judges it with `positionFrom`, so a bad value is reported, not a failed page. */
export const rawPosition = z.union([z.number(), z.string()]);

/**
 * A position field as our model holds it: absent or 0 → no position; a finite number above 0 →
 * that position (through `scale`, e.g. ticks → ms); anything else (negative, not a number, over
 * `max`) → `badPosition` with the value as sent, for the core to skip with `bad_position`.
 */
export function positionFrom(
  into: 'progressMs' | 'progressPct',
  field: string,
  value: number | string | null | undefined,
  scale: (n: number) => number = (n) => n,
  max = Number.MAX_VALUE,
): { progressMs?: number; progressPct?: number; badPosition?: BadPosition } {
  if (value === undefined || value === null) return {};
  const n = typeof value === 'number' ? value : value.trim() === '' ? Number.NaN : Number(value);
  if (n === 0) return {};
  if (n > 0 && n <= max) return { [into]: scale(n) };
  return { badPosition: { field, raw: String(value) } };
}

/** Whether a listed row holds a position at all, good or bad (0 and absent are none). */
export function holdsPositionField(value: number | string | null | undefined): boolean {
  return Object.keys(positionFrom('progressMs', '', value)).length > 0;
}
