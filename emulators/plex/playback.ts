// The writers: /:/timeline (sessions and the played threshold), /:/progress (owner-only, sets
// the offset verbatim), /:/scrobble and /:/unscrobble. Each takes effect for the token's account.
import type { PlexAccount, PlexItem, PlexPlaybackState, PlexSession } from './data.ts';
import { nowSeconds, plexParam, type PlexEnv } from './env.ts';
import { isLeafType } from './library.ts';
import { LIBRARY_IDENTIFIER } from './render.ts';
import { containerReply, emptyOk, htmlStatus, type PlexRequest, type Reply } from './reply.ts';

const TIMELINE_STATES = new Set(['playing', 'paused', 'buffering', 'stopped']);

function integerParam(request: PlexRequest, name: string): number | undefined {
  const raw = request.params.get(name);
  return raw !== null && /^\d+$/.test(raw) ? Number(raw) : undefined;
}

/** `key=/library/metadata/123` → "123". */
function ratingKeyFromKey(key: string | null): string | undefined {
  if (key === null) return undefined;
  const match = /^\/library\/metadata\/([^/?]+)$/.exec(key);
  return match ? decodeURIComponent(match[1] as string) : key;
}

/** PMS numbers devices in its own table; the emulator gives each client identifier the next id. */
function deviceIdFor(env: PlexEnv, clientIdentifier: string | undefined): number {
  const history = env.data().history;
  if (clientIdentifier === undefined) return 0;
  const known = history.find((entry) => entry.clientIdentifier === clientIdentifier);
  if (known) return known.deviceId;
  return 1 + history.reduce((max, entry) => Math.max(max, entry.deviceId), 0);
}

/** Every played leaf also gets a history row, as PMS records a view per play. */
function markPlayed(env: PlexEnv, accountId: number, item: PlexItem, clientIdentifier: string | undefined): void {
  const history = env.data().history;
  const viewedAt = nowSeconds(env);
  const deviceId = deviceIdFor(env, clientIdentifier);
  let nextId = 1 + (history.at(-1)?.id ?? 0);
  for (const leaf of env.library.leaves(item)) {
    const current = env.library.userState(accountId, leaf.ratingKey);
    env.library.updateUserState(accountId, leaf.ratingKey, {
      viewCount: (current.viewCount ?? 0) + 1,
      lastViewedAt: viewedAt,
      viewOffset: 0,
    });
    history.push({ id: nextId++, ratingKey: leaf.ratingKey, accountId, viewedAt, deviceId, ...(clientIdentifier !== undefined ? { clientIdentifier } : {}) });
  }
}

function markUnplayed(env: PlexEnv, accountId: number, item: PlexItem): void {
  for (const leaf of env.library.leaves(item)) {
    env.library.updateUserState(accountId, leaf.ratingKey, { viewCount: 0, viewOffset: 0 });
  }
}

function playerDetails(request: PlexRequest) {
  const details: Partial<PlexSession> = {};
  const product = plexParam(request, 'X-Plex-Product');
  const platform = plexParam(request, 'X-Plex-Platform');
  const platformVersion = plexParam(request, 'X-Plex-Platform-Version');
  const device = plexParam(request, 'X-Plex-Device-Name');
  const version = plexParam(request, 'X-Plex-Version');
  if (product) details.product = product;
  if (platform) details.platform = platform;
  if (platformVersion) details.platformVersion = platformVersion;
  if (device) details.device = device;
  if (version) details.version = version;
  return details;
}

interface TimelineReport {
  account: PlexAccount;
  item: PlexItem;
  clientIdentifier: string;
  sessionIdentifier: string | undefined;
  time: number;
  duration: number | undefined;
}

function sameSlot(session: PlexSession, report: TimelineReport): boolean {
  return (
    session.accountId === report.account.id &&
    session.clientIdentifier === report.clientIdentifier &&
    (session.sessionIdentifier ?? '') === (report.sessionIdentifier ?? '')
  );
}

/** One session per (account, client, session identifier); a new item replaces the old one. */
function upsertSession(env: PlexEnv, request: PlexRequest, report: TimelineReport, state: PlexPlaybackState): void {
  const data = env.data();
  const now = env.now();
  const existing = data.sessions.find((s) => sameSlot(s, report));
  if (existing && existing.ratingKey === report.item.ratingKey) {
    existing.state = state;
    existing.viewOffset = report.time;
    existing.updatedAt = now;
    if (report.duration !== undefined) existing.durationMs = report.duration;
    return;
  }
  data.sessions = data.sessions.filter((s) => !sameSlot(s, report));
  data.sessions.push({
    accountId: report.account.id,
    ratingKey: report.item.ratingKey,
    sessionKey: env.nextSessionKey(),
    state,
    viewOffset: report.time,
    ...(report.duration !== undefined ? { durationMs: report.duration } : {}),
    clientIdentifier: report.clientIdentifier,
    ...(report.sessionIdentifier !== undefined ? { sessionIdentifier: report.sessionIdentifier } : {}),
    ...playerDetails(request),
    address: '127.0.0.1',
    startedAt: now,
    updatedAt: now,
  });
}

/** Persist a reported position; PMS ignores reports without a duration (watchstate notes this). */
function persistPosition(env: PlexEnv, report: TimelineReport, stopped: boolean): void {
  if (report.duration === undefined || report.duration <= 0) return;
  const accountId = report.account.id;
  const threshold = env.data().playedThresholdPercent;
  if (stopped && report.time * 100 >= threshold * report.duration) {
    markPlayed(env, accountId, report.item, report.clientIdentifier);
    return;
  }
  if (report.time <= 0) return;
  env.library.updateUserState(accountId, report.item.ratingKey, {
    viewOffset: report.time,
    lastViewedAt: nowSeconds(env),
  });
}

export function handleTimeline(request: PlexRequest, env: PlexEnv, account: PlexAccount): Reply {
  const clientIdentifier = plexParam(request, 'X-Plex-Client-Identifier');
  const ratingKey = request.params.get('ratingKey') ?? ratingKeyFromKey(request.params.get('key'));
  const state = request.params.get('state') ?? '';
  const time = integerParam(request, 'time');
  if (!clientIdentifier || !ratingKey || !TIMELINE_STATES.has(state) || time === undefined) return htmlStatus(400);
  const item = env.library.item(ratingKey);
  if (!item || !isLeafType(item)) return htmlStatus(404);
  const report: TimelineReport = {
    account,
    item,
    clientIdentifier,
    sessionIdentifier: plexParam(request, 'X-Plex-Session-Identifier'),
    time,
    duration: integerParam(request, 'duration'),
  };
  if (state === 'stopped') {
    const data = env.data();
    data.sessions = data.sessions.filter((s) => !(sameSlot(s, report) && s.ratingKey === item.ratingKey));
    persistPosition(env, report, true);
  } else {
    upsertSession(env, request, report, state as PlexPlaybackState);
    persistPosition(env, report, false);
  }
  return containerReply(request, { tag: 'MediaContainer', attrs: { size: 0 } });
}

/** /:/progress: owner-only (the route enforces it); sets viewOffset verbatim, never the count. */
export function handleProgress(request: PlexRequest, env: PlexEnv, account: PlexAccount): Reply {
  const ratingKey = request.params.get('key');
  const time = integerParam(request, 'time');
  if (!ratingKey || time === undefined) return htmlStatus(400);
  const item = env.library.item(ratingKey);
  if (!item || !isLeafType(item)) return htmlStatus(404);
  // time=0 "will not work" on real servers: clients must unscrobble to clear a position.
  if (time > 0) env.library.updateUserState(account.id, item.ratingKey, { viewOffset: time });
  return emptyOk();
}

/** Item named by `key=<ratingKey>` or `uri=server://<machine>/com.plexapp.plugins.library/library/metadata/<rk>`. */
function scrobbleTarget(request: PlexRequest, env: PlexEnv): PlexItem | undefined {
  const key = request.params.get('key');
  if (key) return env.library.item(key);
  const uri = request.params.get('uri') ?? '';
  const match = /^server:\/\/([^/]+)\/([^/]+)\/library\/metadata\/([^/]+)$/.exec(uri);
  if (!match || match[1] !== env.data().machineIdentifier || match[2] !== LIBRARY_IDENTIFIER) return undefined;
  return env.library.item(match[3] as string);
}

export function handleScrobble(request: PlexRequest, env: PlexEnv, account: PlexAccount, played: boolean): Reply {
  const identifier = request.params.get('identifier');
  if (!identifier || (!request.params.get('key') && !request.params.get('uri'))) return htmlStatus(400);
  if (identifier !== LIBRARY_IDENTIFIER) return htmlStatus(404);
  const item = scrobbleTarget(request, env);
  if (!item) return htmlStatus(404);
  if (played) markPlayed(env, account.id, item, plexParam(request, 'X-Plex-Client-Identifier'));
  else markUnplayed(env, account.id, item);
  return emptyOk();
}
