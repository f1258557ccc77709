// What every route handler may use: the live data, the catalogue index, the clock, id counters,
// pending device codes.
import type { DeviceGrants, SecretFactory, TokenMatch } from './auth.ts';
import type { TraktActivities, TraktEmulatorData } from './data.ts';
import type { TraktLibrary } from './library.ts';
import { isoTime } from './render.ts';
import type { TraktRequest } from './reply.ts';

export interface TraktEnv {
  data(): TraktEmulatorData;
  library: TraktLibrary;
  /** Epoch milliseconds (injectable for tests). */
  now(): number;
  secrets: SecretFactory;
  devices: DeviceGrants;
  /** Fresh playback id (never reused, even after a DELETE). */
  nextPlaybackId(): number;
  /** Fresh history id. */
  nextHistoryId(): number;
  /** Fresh id for a /scrobble/start answer. */
  nextWatchId(): number;
}

/** A request that passed the header, auth and rate checks, with its parsed JSON body. */
export interface RouteContext {
  request: TraktRequest;
  env: TraktEnv;
  /** The route pattern's match: [0] the path, [1…] capture groups ('' when a group did not match). */
  match: string[];
  /** Set on routes that need or accept OAuth when a valid token came with the request. */
  auth?: TokenMatch;
  /** Parsed JSON (or form) body of a POST/PUT; undefined otherwise. */
  body: unknown;
}

export function nowIso(env: TraktEnv): string {
  return isoTime(env.now());
}

/** Record a change for /sync/last_activities. */
export function touchActivity(env: TraktEnv, username: string, kind: 'movie' | 'episode', field: 'paused_at' | 'watched_at'): void {
  const data = env.data();
  const activities: TraktActivities = (data.activities[username] ??= { movies: {}, episodes: {} });
  activities[kind === 'movie' ? 'movies' : 'episodes'][field] = nowIso(env);
}
