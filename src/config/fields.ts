// Building blocks for config schemas, shared by every provider module's schema and by the
// loader: strict objects (unknown keys listed, with a did-you-mean guess), numbers with their
// range in the message, URLs, tokens and the settings every server connection has.
import { z } from 'zod';
import { NAME_PATTERN, NAME_RULE } from './names.ts';

/** Marks our own unknown-key message so the issue mapper can list the allowed keys. */
export const ALLOWED_MARK = 'allowed keys: ';

/** An object that rejects unknown keys (typos must surface, not be ignored). */
export function strict<T extends z.core.$ZodLooseShape>(shape: T, what: string) {
  const keys = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code === 'unrecognized_keys') return `${ALLOWED_MARK}${keys.join(', ')}`;
      if (iss.code === 'invalid_type') return `must be ${what}`;
      return undefined;
    },
  });
}

export function bool() {
  return z.boolean({ error: 'must be true or false' });
}

/** A number in [min, max] (whole when `integer`), with the allowed range in the message. */
export function numberIn(min: number, max: number | undefined, integer: boolean) {
  const range = max === undefined ? `${integer ? 'a whole number ' : ''}≥ ${min}` : `${integer ? 'a whole number ' : ''}${min}..${max}`;
  return z.number({ error: `must be ${range}` }).refine((v) => (!integer || Number.isInteger(v)) && v >= min && (max === undefined || v <= max), {
    error: (iss) => `must be ${range} (got ${String(iss.input)})`,
  });
}

export const nameSchema = z.string({ error: `must be a name: ${NAME_RULE}` }).regex(NAME_PATTERN, { error: `must be a name: ${NAME_RULE}` });

export const urlSchema = z.string({ error: 'must be an http:// or https:// URL' }).transform((raw, ctx) => {
  // The value itself is never echoed: a pasted URL may carry `?X-Plex-Token=…`.
  const text = raw.trim();
  const fail = (message: string) => {
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  };
  if (!/^https?:\/\//i.test(text)) return fail('must start with http:// or https://');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail('is not a valid URL (expected e.g. http://127.0.0.1:32400)');
  }
  if (url.hostname === '') return fail('has no host name (expected e.g. http://127.0.0.1:32400)');
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    return fail('must not contain a user name, password, query or fragment (the token goes in `token`)');
  }
  return text.replace(/\/+$/, '');
});

export const tokenSchema = z.string({ error: 'must be text (quote it if it is all digits)' }).trim().min(1, { error: 'must not be empty' });

export const timeoutSchema = z
  .number({ error: 'must be a number of seconds, more than 0 and at most 600' })
  .refine((v) => v > 0 && v <= 600, {
    error: (iss) => `must be a number of seconds, more than 0 and at most 600 (got ${String(iss.input)})`,
  })
  .default(15);

/** Settings every media server connection has. (Config types are type literals, not interfaces,
 * so they fit Config's open record of provider settings.) */
export type ConnectionConfig = {
  /** Per-request timeout (yaml `timeout_seconds`, default 15). */
  timeoutMs: number;
  /** Retries after a failed request (default 3). */
  retries: number;
  /** Client identifier sent to the server (Plex `X-Plex-Client-Identifier`, Jellyfin/Emby
   * `DeviceId`); one per installation when absent. */
  clientId?: string;
  /** Writes in flight at once to this server (yaml `max_concurrent_writes`, default 4). */
  maxConcurrentWrites: number;
  /** Where this server marks an item watched (yaml `completion_percent`; the kind's default when absent). */
  completionPercent?: number;
};

/** The yaml fields behind ConnectionConfig. */
export const connectionFields = {
  timeout_seconds: timeoutSchema,
  retries: numberIn(0, 10, true).default(3),
  client_id: z.string({ error: 'must be text' }).trim().min(1, { error: 'must not be empty' }).optional(),
  max_concurrent_writes: numberIn(1, 32, true).default(4),
  completion_percent: numberIn(1, 100, false).optional(),
};

export function connectionConfig(p: {
  timeout_seconds: number;
  retries: number;
  client_id?: string | undefined;
  max_concurrent_writes: number;
  completion_percent?: number | undefined;
}): ConnectionConfig {
  return {
    timeoutMs: Math.round(p.timeout_seconds * 1000),
    retries: p.retries,
    maxConcurrentWrites: p.max_concurrent_writes,
    ...(p.client_id !== undefined ? { clientId: p.client_id } : {}),
    ...(p.completion_percent !== undefined ? { completionPercent: p.completion_percent } : {}),
  };
}

/** A list of library ids; absent means every library. */
export function libraryList<T extends z.ZodType>(id: T, what: string) {
  return z.array(id, { error: what }).min(1, { error: 'must list at least one library id, or be left out to read every library' }).optional();
}

/** The same fields without one (a `servers:` entry has no user, a Plex one no token). */
export function without<T extends object, K extends keyof T>(shape: T, key: K): Omit<T, K> {
  const { [key]: _omitted, ...rest } = shape;
  return rest;
}

/** Names a value's type for messages; never the value itself (it might be a secret). */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'string') return 'text';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return 'true/false';
  if (Array.isArray(value)) return 'a list';
  if (isRecord(value)) return 'a mapping';
  return typeof value;
}

/** The allowed key closest to a typo (edit distance ≤ 2), if any. */
export function closest(key: string, allowed: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of allowed) {
    const d = editDistance(key.toLowerCase(), candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
