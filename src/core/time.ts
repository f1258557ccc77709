// Time values arrive in many shapes: Plex sends epoch seconds, Jellyfin and Emby send ISO strings
// with seven fractional digits, Trakt sends ISO strings with `Z`, some tools send epoch ms.
// Everything is turned into UTC epoch milliseconds once, when a provider reads it, so the rest
// of Playhead compares plain numbers.

/** Numbers below this are epoch seconds; at or above it, epoch milliseconds. 1e11 s is the year
 * 5138, while 1e11 ms is March 1973, so no real timestamp of either unit is ambiguous. */
const SECONDS_LIMIT = 1e11;

// YYYY-MM-DD, optionally followed by `T` or a space and hh:mm[:ss[.fraction]], optionally
// followed by `Z` or an offset (+hh:mm, +hhmm, +hh).
const ISO_PATTERN = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;

/**
 * Converts a timestamp of any supported shape to UTC epoch milliseconds.
 *
 * - finite numbers: below 1e11 they are epoch seconds (multiplied by 1000), otherwise epoch ms;
 * - strings of digits (with at most one decimal point): the same rule;
 * - ISO-8601 strings (`T` or space between date and time): with `Z` or an offset they mean
 *   exactly that; **without a zone they are read as UTC**, never as the machine's local time,
 *   so a run gives the same answer on every host;
 * - `Date` objects: their time value.
 *
 * Returns `undefined` for anything else, for invalid calendar dates (2026-02-30), and for results
 * at or before the epoch: servers use 0 or `0001-01-01` to mean "never", not a real time.
 * Sub-millisecond precision is dropped (rounded to the nearest ms for numbers, truncated for
 * ISO fractions).
 */
export function toEpochMs(value: unknown): number | undefined {
  if (typeof value === 'number') return fromNumber(value);
  if (value instanceof Date) return positive(value.getTime());
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(?:\.\d+)?$/.test(text)) return fromNumber(Number(text));
  return fromIso(text);
}

function fromNumber(n: number): number | undefined {
  if (!Number.isFinite(n)) return undefined;
  return positive(Math.round(n < SECONDS_LIMIT ? n * 1000 : n));
}

function positive(ms: number): number | undefined {
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

function fromIso(text: string): number | undefined {
  const m = ISO_PATTERN.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zulu, sign, oh, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = h === undefined ? 0 : Number(h);
  const minute = mi === undefined ? 0 : Number(mi);
  const second = s === undefined ? 0 : Number(s);
  // Fractions longer than 3 digits (.NET writes 7) are cut to milliseconds.
  const millis = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const base = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC rolls 2026-02-30 over to March; a rollover means the date did not exist.
  const check = new Date(base);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    return undefined;
  }
  let offsetMin = 0;
  if (zulu === undefined && sign !== undefined) {
    const offH = Number(oh);
    const offM = om === undefined ? 0 : Number(om);
    if (offH > 23 || offM > 59) return undefined;
    offsetMin = (sign === '-' ? -1 : 1) * (offH * 60 + offM);
  }
  // 12:00+02:00 is 10:00 UTC.
  return positive(base - offsetMin * 60_000);
}

/**
 * A position or length for people: `1:02:03` from one hour up, else `42:10` (minutes:seconds).
 * Fractions of a second are dropped; negative values get a leading `-`; non-numbers give `?`.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const sign = ms < 0 ? '-' : '';
  const total = Math.floor(Math.abs(ms) / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const ss = String(seconds).padStart(2, '0');
  if (hours > 0) return `${sign}${hours}:${String(minutes).padStart(2, '0')}:${ss}`;
  return `${sign}${minutes}:${ss}`;
}
