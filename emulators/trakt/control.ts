// /__emulator/* — the test harness's side door: read or replace the whole state, read or clear
// the request log, set or clear faults, approve or deny device codes, reset rate limits.
// No headers or token needed; never logged, never faulted, never rate limited.
import type { Faults } from '../plex/faults.ts';
import type { DeviceGrants } from './auth.ts';
import { normalizeData, type TraktEmulatorData } from './data.ts';
import type { RateLimiter } from './ratelimit.ts';
import { isoTime } from './render.ts';
import { jsonReply, type Reply } from './reply.ts';

export interface RequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  /** Epoch milliseconds from the emulator's clock. */
  at: number;
  /** Set when a fault rule shaped this response (status 0 for a reset connection). */
  fault?: 'status' | 'reset' | 'truncate' | 'nonJson';
  /** Username behind the bearer token, when it was valid. */
  user?: string;
}

export interface ControlTarget {
  data(): TraktEmulatorData;
  replaceData(data: TraktEmulatorData): void;
  requests: RequestLogEntry[];
  faults: Faults;
  devices: DeviceGrants;
  limiter: RateLimiter;
  approveDevice(userCode: string, username: string): void;
  denyDevice(userCode: string): void;
}

function parseBody(body: string): unknown {
  return body.trim() === '' ? {} : JSON.parse(body);
}

function stringField(body: unknown, name: string): string {
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  if (typeof value !== 'string' || value === '') throw new Error(`${name} (a string) is required`);
  return value;
}

export function handleControl(method: string, path: string, body: string, target: ControlTarget): Reply {
  const route = `${method} ${path.replace(/\/$/, '')}`;
  try {
    switch (route) {
      case 'GET /__emulator/state':
        return jsonReply(200, target.data());
      case 'PUT /__emulator/state': {
        const next = normalizeData(parseBody(body), 'state');
        target.replaceData(next);
        return jsonReply(200, { ok: true, movies: next.movies.length, shows: next.shows.length, episodes: next.episodes.length });
      }
      case 'GET /__emulator/requests':
        return jsonReply(200, target.requests);
      case 'DELETE /__emulator/requests':
        target.requests.length = 0;
        return jsonReply(200, { ok: true });
      case 'GET /__emulator/faults':
        return jsonReply(200, target.faults.config);
      case 'POST /__emulator/faults':
      case 'PUT /__emulator/faults':
        return jsonReply(200, target.faults.set(parseBody(body)));
      case 'DELETE /__emulator/faults':
        target.faults.clear();
        return jsonReply(200, { ok: true });
      case 'GET /__emulator/devices':
        return jsonReply(
          200,
          target.devices.list().map((g) => ({
            user_code: g.userCode,
            state: g.state,
            expires_at: isoTime(g.expiresAt),
            ...(g.username ? { username: g.username } : {}),
          })),
        );
      case 'POST /__emulator/devices/approve': {
        const parsed = parseBody(body);
        target.approveDevice(stringField(parsed, 'user_code'), stringField(parsed, 'username'));
        return jsonReply(200, { ok: true });
      }
      case 'POST /__emulator/devices/deny':
        target.denyDevice(stringField(parseBody(body), 'user_code'));
        return jsonReply(200, { ok: true });
      case 'DELETE /__emulator/ratelimits':
        target.limiter.clear();
        return jsonReply(200, { ok: true });
      default:
        return jsonReply(404, { error: `no emulator control route ${route}` });
    }
  } catch (error) {
    return jsonReply(400, { error: error instanceof Error ? error.message : String(error) });
  }
}
