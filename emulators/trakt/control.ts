// /__emulator/* — the test harness's side door. The routes every emulator has (state, request
// log, faults) come from emulators/common/control.ts; Trakt adds device-code approval and a
// rate-limit reset. No headers or token needed; never logged, never faulted, never rate limited.
import { controlRoute, handleControl as handleCommonControl, parseControlBody, type BaseRequestLogEntry } from '../common/control.ts';
import type { SkewedClock } from '../common/clock.ts';
import type { Faults } from '../common/faults.ts';
import type { DeviceGrants } from './auth.ts';
import { normalizeData, type TraktEmulatorData } from './data.ts';
import type { RateLimiter } from './ratelimit.ts';
import { isoTime } from './render.ts';
import { jsonReply, type Reply } from './reply.ts';

export interface RequestLogEntry extends BaseRequestLogEntry {
  /** Username behind the bearer token, when it was valid. */
  user?: string;
}

export interface ControlTarget {
  data(): TraktEmulatorData;
  replaceData(data: TraktEmulatorData): void;
  requests: RequestLogEntry[];
  faults: Faults;
  clock: SkewedClock;
  devices: DeviceGrants;
  limiter: RateLimiter;
  approveDevice(userCode: string, username: string): void;
  denyDevice(userCode: string): void;
}

function stringField(body: unknown, name: string): string {
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  if (typeof value !== 'string' || value === '') throw new Error(`${name} (a string) is required`);
  return value;
}

function traktControl(route: string, body: string, target: ControlTarget): Reply | undefined {
  switch (route) {
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
      const parsed = parseControlBody(body);
      target.approveDevice(stringField(parsed, 'user_code'), stringField(parsed, 'username'));
      return jsonReply(200, { ok: true });
    }
    case 'POST /__emulator/devices/deny':
      target.denyDevice(stringField(parseControlBody(body), 'user_code'));
      return jsonReply(200, { ok: true });
    case 'DELETE /__emulator/ratelimits':
      target.limiter.clear();
      return jsonReply(200, { ok: true });
    default:
      return undefined;
  }
}

export function handleControl(method: string, path: string, body: string, target: ControlTarget): Reply {
  const route = controlRoute(method, path);
  try {
    const own = traktControl(route, body, target);
    if (own) return own;
  } catch (error) {
    return jsonReply(400, { error: error instanceof Error ? error.message : String(error) });
  }
  return handleCommonControl(method, path, body, {
    data: target.data,
    replaceData(raw) {
      const next = normalizeData(raw, 'state');
      target.replaceData(next);
      return next;
    },
    summary: (data) => ({ users: data.users.length, movies: data.movies.length, shows: data.shows.length, episodes: data.episodes.length }),
    requests: target.requests,
    faults: target.faults,
    clock: target.clock,
  });
}
