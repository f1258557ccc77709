// Writers of per-user state, each with its server's side effects:
// - POST …/UserData: Jellyfin patches (non-null fields, stored verbatim); Emby replaces the whole
//   record (omitted fields fall back to defaults).
// - played / unplayed (protocols.md §2.4): played ⇒ Played, position 0, PlayCount ≥ 1 (+1 with a
//   date), LastPlayedDate = date ?? previous ?? now; unplayed ⇒ everything cleared. Folders apply
//   to every movie/episode below them.
// - session reports (/Sessions/Playing*): PlayCount+1, LastPlayedDate=now, Played=false at start;
//   progress/stop apply the resume thresholds (UpdatePlayState).
import type { MbItem, MbSession, MbUser, MbUserData } from './data.ts';
import { defaultUserData, isLeaf } from './library.ts';
import { HttpError, invalidParam, type Ctx, type MbEnv } from './request.ts';
import { hexDigest } from '../random.ts';
import { TICKS_PER_SECOND, isoTicks } from './time.ts';

// ---- UserData POST -------------------------------------------------------------------------

type Body = Record<string, unknown>;

export function parseJsonBody(env: MbEnv, body: string): Body {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new HttpError(invalidParam(env, '$', 'The request body is not valid JSON.'));
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpError(invalidParam(env, '$', 'The request body must be a JSON object.'));
  }
  // Both servers bind body properties case-insensitively.
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.toLowerCase(), v]));
}

function field<T>(env: MbEnv, body: Body, name: string, check: (v: unknown) => v is T, what: string): T | undefined {
  const value = body[name.toLowerCase()];
  if (value === undefined || value === null) return undefined;
  if (!check(value)) throw new HttpError(invalidParam(env, `$.${name}`, `The JSON value could not be converted to ${what}.`));
  return value;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isDate = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));

/** The fields of an UpdateUserItemDataDto / UserItemDataDto body that the servers store. */
function readUserDataBody(env: MbEnv, body: Body) {
  return {
    PlaybackPositionTicks: field(env, body, 'PlaybackPositionTicks', isInt, 'System.Int64'),
    PlayCount: field(env, body, 'PlayCount', isInt, 'System.Int32'),
    Played: field(env, body, 'Played', isBool, 'System.Boolean'),
    IsFavorite: field(env, body, 'IsFavorite', isBool, 'System.Boolean'),
    LastPlayedDate: field(env, body, 'LastPlayedDate', isDate, 'System.DateTime'),
    Rating: field(env, body, 'Rating', isNumber, 'System.Double'),
    Likes: field(env, body, 'Likes', isBool, 'System.Boolean'),
  };
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Jellyfin: apply the non-null fields verbatim; everything else stays. */
export function patchUserData(env: MbEnv, user: MbUser, item: MbItem, body: Body): void {
  const patch = withoutUndefined(readUserDataBody(env, body));
  const current = env.catalog.userData(user.id, item.Id);
  env.catalog.saveUserData(user.id, item.Id, { ...current, ...patch });
}

/** Emby: the body becomes the record; omitted fields are the defaults (not the old values). */
export function replaceUserData(env: MbEnv, user: MbUser, item: MbItem, body: Body): void {
  const next = readUserDataBody(env, body);
  const record: MbUserData = { ...defaultUserData(), ...withoutUndefined(next) };
  if (record.LastPlayedDate !== undefined) record.LastPlayedDate = isoTicks(Date.parse(record.LastPlayedDate));
  // Emby has no Likes; Rating is part of the record it replaces.
  delete record.Likes;
  env.catalog.saveUserData(user.id, item.Id, record);
}

// ---- played / unplayed ---------------------------------------------------------------------

export function markPlayed(env: MbEnv, user: MbUser, item: MbItem, datePlayed: number | undefined): void {
  for (const leaf of env.catalog.leaves(item)) {
    const current = env.catalog.userData(user.id, leaf.Id);
    const lastPlayed = datePlayed !== undefined ? isoTicks(datePlayed) : (current.LastPlayedDate ?? isoTicks(env.now()));
    env.catalog.saveUserData(user.id, leaf.Id, {
      ...current,
      Played: true,
      PlaybackPositionTicks: 0,
      PlayCount: Math.max(datePlayed !== undefined ? current.PlayCount + 1 : current.PlayCount, 1),
      LastPlayedDate: lastPlayed,
    });
  }
}

export function markUnplayed(env: MbEnv, user: MbUser, item: MbItem): void {
  for (const leaf of env.catalog.leaves(item)) {
    const current = env.catalog.userData(user.id, leaf.Id);
    const { LastPlayedDate: _dropped, ...rest } = current;
    env.catalog.saveUserData(user.id, leaf.Id, { ...rest, Played: false, PlayCount: 0, PlaybackPositionTicks: 0 });
  }
}

/** Favourite or not: the item's own record (a series is a favourite itself, not its episodes). */
export function setFavorite(env: MbEnv, user: MbUser, item: MbItem, favorite: boolean): void {
  const current = env.catalog.userData(user.id, item.Id);
  env.catalog.saveUserData(user.id, item.Id, { ...current, IsFavorite: favorite });
}

/** Emby's HideFromResume: the item leaves Continue Watching (its position is cleared). */
export function hideFromResume(env: MbEnv, user: MbUser, item: MbItem, hide: boolean): void {
  if (!hide) return;
  for (const leaf of env.catalog.leaves(item)) {
    const current = env.catalog.userData(user.id, leaf.Id);
    if (current.PlaybackPositionTicks > 0) env.catalog.saveUserData(user.id, leaf.Id, { ...current, PlaybackPositionTicks: 0 });
  }
}

// ---- sessions ------------------------------------------------------------------------------

/** The server's UpdatePlayState: what a reported position does to the stored record. */
function applyPlayState(env: MbEnv, item: MbItem, record: MbUserData, positionTicks: number): MbUserData {
  const { minResumePct, maxResumePct, minResumeDurationSeconds } = env.data().playback;
  const runtime = item.RunTimeTicks ?? 0;
  const next = { ...record };
  if (runtime <= 0) {
    next.PlaybackPositionTicks = 0;
    next.Played = true;
    return next;
  }
  const percent = (positionTicks / runtime) * 100;
  if (percent < minResumePct) {
    next.PlaybackPositionTicks = 0;
  } else if (percent > maxResumePct || positionTicks >= runtime - TICKS_PER_SECOND) {
    next.PlaybackPositionTicks = 0;
    next.Played = true;
  } else if (runtime / TICKS_PER_SECOND < minResumeDurationSeconds) {
    next.PlaybackPositionTicks = 0;
    next.Played = true;
  } else {
    next.PlaybackPositionTicks = positionTicks;
  }
  return next;
}

interface PlaybackReport {
  itemId?: string;
  positionTicks?: number;
  isPaused: boolean;
  failed: boolean;
  playSessionId?: string;
  mediaSourceId?: string;
  playMethod?: MbSession['playMethod'];
}

function readReport(env: MbEnv, body: Body): PlaybackReport {
  const itemId = field(env, body, 'ItemId', (v): v is string => typeof v === 'string', 'System.Guid');
  const playMethod = field(
    env,
    body,
    'PlayMethod',
    (v): v is NonNullable<MbSession['playMethod']> => v === 'Transcode' || v === 'DirectStream' || v === 'DirectPlay',
    'PlayMethod',
  );
  const report: PlaybackReport = {
    isPaused: field(env, body, 'IsPaused', isBool, 'System.Boolean') ?? false,
    failed: field(env, body, 'Failed', isBool, 'System.Boolean') ?? false,
  };
  const positionTicks = field(env, body, 'PositionTicks', isInt, 'System.Int64');
  const playSessionId = field(env, body, 'PlaySessionId', (v): v is string => typeof v === 'string', 'System.String');
  const mediaSourceId = field(env, body, 'MediaSourceId', (v): v is string => typeof v === 'string', 'System.String');
  if (itemId !== undefined) report.itemId = env.dialect === 'jellyfin' ? checkGuid(env, itemId) : itemId;
  if (positionTicks !== undefined) report.positionTicks = positionTicks;
  if (playSessionId !== undefined) report.playSessionId = playSessionId;
  if (mediaSourceId !== undefined) report.mediaSourceId = mediaSourceId;
  // Jellyfin's ValidatePlayMethod: "Transcode" without a transcoding job (the emulator runs none) is DirectPlay.
  if (playMethod !== undefined) report.playMethod = env.dialect === 'jellyfin' && playMethod === 'Transcode' ? 'DirectPlay' : playMethod;
  return report;
}

function checkGuid(env: MbEnv, raw: string): string {
  if (!/^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/.test(raw)) {
    throw new HttpError(invalidParam(env, '$.ItemId', 'The JSON value could not be converted to System.Guid.'));
  }
  return env.catalog.normalizeId(raw);
}

/** Sessions are per (user, device, client), the way both servers key them. */
export function sessionFor(ctx: Ctx, user: MbUser): MbSession {
  const env = ctx.env;
  const data = env.data();
  const token = ctx.caller?.token ?? '';
  const deviceId = ctx.client.deviceId ?? `token-${hexDigest(token, 12)}`;
  const client = ctx.client.client ?? '';
  const now = isoTicks(env.now());
  let session = data.sessions.find((s) => s.userId === user.id && s.deviceId === deviceId && s.client === client);
  if (!session) {
    session = {
      id: hexDigest(`session:${data.serverId}:${user.id}:${deviceId}:${client}`, 32),
      userId: user.id,
      client,
      deviceName: ctx.client.device ?? '',
      deviceId,
      applicationVersion: ctx.client.version ?? '',
      isPaused: false,
      lastActivityDate: now,
    };
    data.sessions.push(session);
  }
  session.lastActivityDate = now;
  if (ctx.client.device) session.deviceName = ctx.client.device;
  if (ctx.client.version) session.applicationVersion = ctx.client.version;
  return session;
}

export type PlaybackEvent = 'start' | 'progress' | 'stop' | 'ping';

/**
 * A session report from a player. Only user tokens play: with an API key the report is accepted
 * but attaches to nobody, so nothing is stored. Unknown items are ignored, as the servers do.
 */
export function reportPlayback(ctx: Ctx, event: PlaybackEvent, body: Body): void {
  const env = ctx.env;
  if (ctx.caller?.kind !== 'user') return;
  const user = ctx.caller.user;
  const session = sessionFor(ctx, user);
  if (event === 'ping') return;
  const report = readReport(env, body);
  const item = report.itemId !== undefined ? env.catalog.item(report.itemId) : undefined;
  if (!item || !isLeaf(item)) return;
  const now = isoTicks(env.now());
  if (event === 'stop') {
    if (session.itemId === item.Id) {
      delete session.itemId;
      delete session.positionTicks;
      delete session.playSessionId;
      delete session.mediaSourceId;
      delete session.playMethod;
      delete session.lastPausedDate;
      session.isPaused = false;
    }
    if (report.failed) return;
    const current = env.catalog.userData(user.id, item.Id);
    if (report.positionTicks !== undefined) {
      env.catalog.saveUserData(user.id, item.Id, applyPlayState(env, item, current, report.positionTicks));
    } else {
      // Without a position the servers assume the item was watched to the end.
      env.catalog.saveUserData(user.id, item.Id, { ...current, PlayCount: current.PlayCount + 1, Played: true, PlaybackPositionTicks: 0 });
    }
    return;
  }
  const wasPaused = session.isPaused;
  session.itemId = item.Id;
  if (report.positionTicks !== undefined) session.positionTicks = report.positionTicks;
  session.isPaused = report.isPaused;
  if (report.isPaused && !wasPaused) session.lastPausedDate = now;
  if (!report.isPaused) delete session.lastPausedDate;
  session.lastPlaybackCheckIn = now;
  if (report.playSessionId !== undefined) session.playSessionId = report.playSessionId;
  if (report.mediaSourceId !== undefined) session.mediaSourceId = report.mediaSourceId;
  if (report.playMethod !== undefined) session.playMethod = report.playMethod;
  const current = env.catalog.userData(user.id, item.Id);
  if (event === 'start') {
    // Counted at the start, not at the end; a video being started is no longer "played".
    env.catalog.saveUserData(user.id, item.Id, { ...current, PlayCount: current.PlayCount + 1, LastPlayedDate: now, Played: false });
  } else if (report.positionTicks !== undefined) {
    env.catalog.saveUserData(user.id, item.Id, applyPlayState(env, item, current, report.positionTicks));
  }
}
