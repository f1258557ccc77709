// Ticks and dates as both servers write them: 1 tick = 100 ns, dates ISO-8601 UTC with seven
// fractional digits (`2026-09-16T18:00:00.0000000Z`).
export const TICKS_PER_MS = 10_000;
export const TICKS_PER_SECOND = 10_000_000;

/** Epoch milliseconds → `2026-09-16T18:00:00.1230000Z`. */
export function isoTicks(ms: number): string {
  // toISOString ends in `.sssZ` for every year the servers write (0001–9999); slicing, not a
  // RegExp, because a 100 000-item library writes a few hundred thousand of these at start-up.
  return `${new Date(ms).toISOString().slice(0, -1)}0000Z`;
}

/** Any stored ISO date re-rendered in the servers' seven-digit form. */
export function wireDate(iso: string): string {
  return isoTicks(Date.parse(iso));
}

/** ISO-8601 with a time zone (or a bare date/time taken as UTC, as .NET does) → epoch ms. */
export function parseIsoDate(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^\d{4}-\d{2}-\d{2}/.test(trimmed)) return undefined;
  const withZone = /[zZ]|[+-]\d{2}:?\d{2}$/.test(trimmed.slice(10)) || trimmed.length === 10 ? trimmed : `${trimmed}Z`;
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Emby's `DatePlayed` query format `yyyyMMddHHmmss` (UTC); ISO accepted as well. */
export function parseEmbyDate(text: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text.trim());
  if (!match) return parseIsoDate(text);
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  return Number.isNaN(ms) ? undefined : ms;
}
