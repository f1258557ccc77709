// Facts about a server that rarely change (identity, version, libraries, the token's user) are
// kept in the state for a few hours, so a run does not spend requests re-asking them.
import { createHash } from 'node:crypto';
import type { ProviderContext } from './provider.ts';

const SERVER_FACTS_TTL_MS = 6 * 3600 * 1000;
const FACTS_KEY = 'server_facts';

interface Stored<T> {
  /** Hash of what the facts depend on (url + token): another server or token means other facts. */
  key: string;
  at: number;
  facts: T;
}

export function factsKey(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16);
}

/**
 * Returns cached facts when they were fetched for the same key less than SERVER_FACTS_TTL_MS ago
 * and `stillValid` accepts them; otherwise fetches and stores fresh ones.
 */
export async function cachedFacts<T>(ctx: ProviderContext, key: string, fetch: () => Promise<T>, stillValid: (facts: T) => boolean = () => true): Promise<T> {
  const text = ctx.state.get(FACTS_KEY);
  if (text) {
    try {
      const stored = JSON.parse(text) as Stored<T>;
      if (stored.key === key && ctx.now() - stored.at < SERVER_FACTS_TTL_MS && stillValid(stored.facts)) return stored.facts;
    } catch {
      // Unreadable cache: fetch again.
    }
  }
  const facts = await fetch();
  const stored: Stored<T> = { key, at: ctx.now(), facts };
  ctx.state.set(FACTS_KEY, JSON.stringify(stored));
  return facts;
}

/** Forgets the facts (e.g. a library vanished), so the next run asks the server again. */
export function forgetFacts(ctx: ProviderContext): void {
  ctx.state.set(FACTS_KEY, '');
}
