// The effective configuration as the Settings page shows it: every secret replaced by
// `[redacted]`. A value is secret by its key, the keys the config loader treats as secret
// (config/errors.ts SECRET_KEYS and each provider module's `secretKeys`) in their loaded,
// camelCase spelling too, and any key named like a token, secret, password or API key. URLs lose
// their credentials and secret query parameters (`?X-Plex-Token=`). As a last line of defence, a
// secret's value found inside any other string (a token pasted into a URL's path) is blanked too.
import { SECRET_KEYS } from '../config/errors.ts';
import type { Config } from '../config/types.ts';
import { providerModules } from '../providers/registry.ts';

export const REDACTED = '[redacted]';

/** `client_secret`, `clientSecret` and `X-Client-Secret` all become `clientsecret`. */
const normalise = (key: string): string => key.toLowerCase().replace(/[^a-z0-9]/g, '');

function secretKeys(): Set<string> {
  return new Set([...SECRET_KEYS, ...providerModules().flatMap((m) => m.secretKeys ?? [])].map(normalise));
}

/** Whether a config key or URL query parameter holds a secret. */
export function isSecretKey(key: string): boolean {
  const name = normalise(key);
  return secretKeys().has(name) || /(token|secret|password|passwd|apikey)$/.test(name);
}

// Shorter values are not blanked inside other strings (`on` would ruin every word); under a
// secret key they are redacted whatever their length.
const MIN_SECRET_LENGTH = 4;

/** The values held under secret keys anywhere in `value`. */
export function secretValues(value: unknown, into = new Set<string>(), key?: string): Set<string> {
  if (typeof value === 'string') {
    if (key !== undefined && isSecretKey(key) && value.trim().length >= MIN_SECRET_LENGTH) into.add(value.trim());
  } else if (Array.isArray(value)) {
    for (const v of value) secretValues(v, into);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) secretValues(v, into, k);
  }
  return into;
}

/** A URL without its credentials and secret query parameters; other text as it is. */
function redactUrl(text: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return text;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  const params = [...url.searchParams];
  const hasCredentials = url.username !== '' || url.password !== '';
  if (!hasCredentials && !params.some(([name]) => isSecretKey(name))) return text;
  const query = params.map(([name, v]) => `${encodeURIComponent(name)}=${isSecretKey(name) ? REDACTED : encodeURIComponent(v)}`).join('&');
  return `${url.protocol}//${hasCredentials ? `${REDACTED}@` : ''}${url.host}${url.pathname}${query ? `?${query}` : ''}${url.hash}`;
}

/** Any text (a server's error message, a URL) with URL credentials and the given secrets blanked. */
export function redactText(text: string, secrets: ReadonlySet<string>): string {
  let out = redactUrl(text);
  for (const secret of secrets) out = out.split(secret).join(REDACTED);
  return out;
}

function redactValue(value: unknown, secrets: ReadonlySet<string>, key?: string): unknown {
  if (key !== undefined && isSecretKey(key) && value !== undefined && value !== null) return REDACTED;
  if (typeof value === 'string') return redactText(value, secrets);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, secrets));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, secrets, k)]));
  return value;
}

/** What Settings shows of a Config: the settings themselves, not the loader's notes about them. */
export type ShownConfig = Pick<Config, 'providers' | 'pairs' | 'users' | 'state' | 'logLevel' | 'settleSeconds'>;

/** The configuration with every secret replaced by `[redacted]` (same shape; secret fields hold the marker). */
export function redactConfig(config: Config): ShownConfig {
  const { providers, pairs, users, state, logLevel, settleSeconds } = config;
  const shown: ShownConfig = { providers, pairs, state, logLevel, ...(users ? { users } : {}), ...(settleSeconds !== undefined ? { settleSeconds } : {}) };
  // The walk keeps every field and its type but for secrets' values, which stay strings.
  return redactValue(shown, secretValues(shown)) as ShownConfig;
}
