// Trakt's rate limits (protocols.md §4.2) as sliding windows over the injectable clock:
// AUTHED_API_POST_LIMIT (POST/PUT/DELETE per access token, default 1 per second),
// AUTHED_API_GET_LIMIT (GET per access token, default 1000 per 300 s) and
// UNAUTHED_API_GET_LIMIT (GET without a token, per client id, default 1000 per 300 s).
// Only admitted requests count; a 429 does not use up the window.
import { isoTime } from './render.ts';
import { errorReply, type Reply } from './reply.ts';

type LimitName = 'AUTHED_API_POST_LIMIT' | 'AUTHED_API_GET_LIMIT' | 'UNAUTHED_API_GET_LIMIT';

export interface Limit {
  name: LimitName;
  /** Seconds. */
  period: number;
  limit: number;
}

export class RateLimiter {
  private readonly hits = new Map<string, number[]>();

  /** Admit and count the request, or answer the 429 Trakt sends. */
  take(key: string, limit: Limit, now: number): Reply | undefined {
    const windowMs = limit.period * 1000;
    const mapKey = `${limit.name}:${key}`;
    const recent = (this.hits.get(mapKey) ?? []).filter((at) => at > now - windowMs);
    if (recent.length >= limit.limit) {
      this.hits.set(mapKey, recent);
      // The oldest admitted hit leaves the window first; that is when a slot frees up.
      const untilMs = (recent[0] ?? now) + windowMs;
      const retryAfter = Math.max(1, Math.ceil((untilMs - now) / 1000));
      const header = { name: limit.name, period: limit.period, limit: limit.limit, remaining: 0, until: isoTime(untilMs) };
      return errorReply(429, 'rate_limit_exceeded', `${limit.name}: at most ${limit.limit} calls per ${limit.period} s`, {
        'Retry-After': String(retryAfter),
        'X-Ratelimit': JSON.stringify(header),
      });
    }
    recent.push(now);
    this.hits.set(mapKey, recent);
    return undefined;
  }

  clear(): void {
    this.hits.clear();
  }
}
