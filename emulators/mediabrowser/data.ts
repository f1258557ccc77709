// The Jellyfin/Emby emulator's whole state: JSON-serialisable, loaded from a data file or built
// from the synthetic catalogue, replaced through PUT /__emulator/state. The schema is the
// documentation of the format (see README.md). Objects that exist on the wire (libraries, items,
// user data) keep the servers' PascalCase names; emulator bookkeeping (users, api keys, sessions,
// settings) is camelCase. Validation errors name the path of the bad field.
import { z } from 'zod';
import { parseWithSchema, readJsonFile } from '../common/data-file.ts';

export type MediaBrowserDialect = 'jellyfin' | 'emby';

export const DEFAULT_VERSION: Record<MediaBrowserDialect, string> = { jellyfin: '10.11.8', emby: '4.8.11.0' };

const isoDate = z.iso.datetime({ offset: true });
const hex32 = z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex digits (a GUID without dashes)');
const ticks = z.number().int().nonnegative();

const userSchema = z.strictObject({
  /** 32 hex digits on both servers. */
  id: hex32,
  name: z.string().min(1),
  /** The access token a login would hand out (AuthenticateByName answers it). */
  token: z.string().min(1),
  admin: z.boolean().default(false),
  /** Hidden from login screens: left out of GET /Users/Public (Policy.IsHidden). */
  hidden: z.boolean().default(false),
  /** AuthenticateByName compares `Pw` with this; absent = no password (an empty Pw). */
  password: z.string().optional(),
});

const apiKeySchema = z.strictObject({
  /** A server API key: admin rights, but no user of its own. */
  token: z.string().min(1),
  name: z.string().default('playhead'),
});

const librarySchema = z.strictObject({
  Id: z.string().min(1),
  Name: z.string(),
  CollectionType: z.enum(['movies', 'tvshows']),
  Path: z.string().optional(),
  DateCreated: isoDate.optional(),
});

const ITEM_TYPES = ['Movie', 'Series', 'Season', 'Episode'] as const;

const itemSchema = z.strictObject({
  Id: z.string().min(1),
  Type: z.enum(ITEM_TYPES),
  Name: z.string(),
  /** Movie/Series → a library Id; Season → its Series; Episode → its Season. */
  ParentId: z.string().min(1),
  /** Seasons and episodes. */
  SeriesId: z.string().optional(),
  /** Episodes. */
  SeasonId: z.string().optional(),
  /** Season number of a season, episode number of an episode. */
  IndexNumber: z.number().int().optional(),
  /** Season number of an episode. */
  ParentIndexNumber: z.number().int().optional(),
  ProductionYear: z.number().int().optional(),
  PremiereDate: isoDate.optional(),
  RunTimeTicks: ticks.optional(),
  /** `{Imdb: "tt…", Tmdb: "123", Tvdb: "456"}`: string values, any subset. */
  ProviderIds: z.record(z.string(), z.string()).default({}),
  Path: z.string().optional(),
  Overview: z.string().optional(),
  OriginalTitle: z.string().optional(),
  /** Only when it should differ from what the emulator derives. */
  SortName: z.string().optional(),
  DateCreated: isoDate,
  /** When the item's metadata last changed (`minDateLastSaved`); user data writes do not touch it. */
  DateLastSaved: isoDate,
});

const userDataSchema = z.strictObject({
  PlaybackPositionTicks: ticks.default(0),
  PlayCount: z.number().int().nonnegative().default(0),
  Played: z.boolean().default(false),
  IsFavorite: z.boolean().default(false),
  LastPlayedDate: isoDate.optional(),
  Rating: z.number().optional(),
  Likes: z.boolean().optional(),
  /** Emulator bookkeeping (never rendered): when this record last changed, for Emby's `MinDateLastSavedForUser`. */
  DateLastSaved: isoDate.optional(),
});

const sessionSchema = z.strictObject({
  id: z.string().min(1),
  userId: hex32,
  client: z.string(),
  deviceName: z.string(),
  deviceId: z.string(),
  applicationVersion: z.string(),
  /** What is playing; absent for an idle session (a client that only talks to the API). */
  itemId: z.string().optional(),
  positionTicks: ticks.optional(),
  isPaused: z.boolean().default(false),
  playSessionId: z.string().optional(),
  mediaSourceId: z.string().optional(),
  playMethod: z.enum(['Transcode', 'DirectStream', 'DirectPlay']).optional(),
  lastActivityDate: isoDate,
  lastPlaybackCheckIn: isoDate.optional(),
  lastPausedDate: isoDate.optional(),
});

const playbackSchema = z.strictObject({
  /** Below this percent a reported position is dropped (not resumable). */
  minResumePct: z.number().min(0).max(100).default(5),
  /** Above this percent a reported position marks the item played. */
  maxResumePct: z.number().min(0).max(100).default(90),
  /** Items shorter than this are marked played instead of getting a resume point. */
  minResumeDurationSeconds: z.number().nonnegative().default(300),
});

const mediaBrowserDataSchema = z.strictObject({
  serverId: hex32,
  serverName: z.string(),
  /** Default: 10.11.8 (Jellyfin) or 4.8.11.0 (Emby). Jellyfin below 10.9 lacks the /UserItems family. */
  version: z.string().optional(),
  users: z.array(userSchema).min(1),
  apiKeys: z.array(apiKeySchema).default([]),
  libraries: z.array(librarySchema),
  items: z.array(itemSchema),
  /** userId → itemId → that user's data for that item. */
  userData: z.record(z.string(), z.record(z.string(), userDataSchema)).default({}),
  sessions: z.array(sessionSchema).default([]),
  playback: playbackSchema.default({ minResumePct: 5, maxResumePct: 90, minResumeDurationSeconds: 300 }),
});

type ParsedData = z.output<typeof mediaBrowserDataSchema>;
/** The live state; `version` is always filled in once loaded. */
export type MediaBrowserEmulatorData = ParsedData & { version: string };
/** What a data file may contain: the defaulted fields are optional. */
export type MediaBrowserEmulatorDataInput = z.input<typeof mediaBrowserDataSchema>;
export type MbUser = ParsedData['users'][number];
export type MbApiKey = ParsedData['apiKeys'][number];
export type MbLibrary = ParsedData['libraries'][number];
export type MbItem = ParsedData['items'][number];
type MbItemType = MbItem['Type'];
export type MbUserData = z.output<typeof userDataSchema>;
export type MbSession = ParsedData['sessions'][number];

/** Emby numbers its items; Jellyfin uses GUIDs (32 hex, no dashes, lowercase on the wire). */
function idProblem(dialect: MediaBrowserDialect, id: string): string | undefined {
  if (dialect === 'emby') return /^[1-9][0-9]*$/.test(id) ? undefined : 'must be a numeric string on Emby';
  return /^[0-9a-f]{32}$/.test(id) ? undefined : 'must be 32 lowercase hex digits on Jellyfin';
}

/** Validate, fill defaults, check references; throws one error listing every problem with its path. */
export function normalizeData(raw: unknown, dialect: MediaBrowserDialect, source = 'data'): MediaBrowserEmulatorData {
  const what = `${dialect === 'emby' ? 'Emby' : 'Jellyfin'} emulator ${source}`;
  const parsed = parseWithSchema(mediaBrowserDataSchema, raw, what);
  const data: MediaBrowserEmulatorData = { ...parsed, version: parsed.version ?? DEFAULT_VERSION[dialect] };
  checkReferences(data, dialect, what);
  return data;
}

function checkReferences(data: MediaBrowserEmulatorData, dialect: MediaBrowserDialect, what: string): void {
  const problems: string[] = [];
  const ids = new Map<string, string>();
  const claim = (id: string, where: string) => {
    const problem = idProblem(dialect, id);
    if (problem) problems.push(`${where} "${id}" ${problem}`);
    const previous = ids.get(id);
    if (previous) problems.push(`${where} "${id}" is already used by ${previous}`);
    ids.set(id, where);
  };
  for (const [i, library] of data.libraries.entries()) claim(library.Id, `libraries[${i}].Id`);
  for (const [i, item] of data.items.entries()) claim(item.Id, `items[${i}].Id`);
  const typeOf = new Map(data.items.map((item) => [item.Id, item.Type] as const));
  const libraries = new Map(data.libraries.map((library) => [library.Id, library] as const));
  const expectParent: Record<MbItemType, string> = { Movie: 'a movies library', Series: 'a tvshows library', Season: 'a Series', Episode: 'a Season' };
  data.items.forEach((item, i) => {
    const parentType = typeOf.get(item.ParentId);
    const library = libraries.get(item.ParentId);
    const ok =
      (item.Type === 'Movie' && library?.CollectionType === 'movies') ||
      (item.Type === 'Series' && library?.CollectionType === 'tvshows') ||
      (item.Type === 'Season' && parentType === 'Series') ||
      (item.Type === 'Episode' && parentType === 'Season');
    if (!ok) problems.push(`items[${i}].ParentId "${item.ParentId}" must be ${expectParent[item.Type]}`);
    if (item.SeriesId !== undefined && typeOf.get(item.SeriesId) !== 'Series') problems.push(`items[${i}].SeriesId "${item.SeriesId}" is not a Series`);
    if (item.SeasonId !== undefined && typeOf.get(item.SeasonId) !== 'Season') problems.push(`items[${i}].SeasonId "${item.SeasonId}" is not a Season`);
  });
  const tokens = new Set<string>();
  const claimToken = (token: string, where: string) => {
    if (tokens.has(token)) problems.push(`${where} is used twice`);
    tokens.add(token);
  };
  for (const [i, user] of data.users.entries()) claimToken(user.token, `users[${i}].token`);
  for (const [i, key] of data.apiKeys.entries()) claimToken(key.token, `apiKeys[${i}].token`);
  const userIds = new Set<string>();
  data.users.forEach((user, i) => {
    if (userIds.has(user.id)) problems.push(`users[${i}].id "${user.id}" is used twice`);
    userIds.add(user.id);
  });
  for (const [userId, byItem] of Object.entries(data.userData)) {
    if (!userIds.has(userId)) problems.push(`userData["${userId}"] is not a user id`);
    for (const itemId of Object.keys(byItem)) {
      if (!typeOf.has(itemId)) problems.push(`userData["${userId}"]["${itemId}"] is not an item id`);
    }
  }
  data.sessions.forEach((session, i) => {
    if (!userIds.has(session.userId)) problems.push(`sessions[${i}].userId "${session.userId}" is not a user id`);
    if (session.itemId !== undefined && !typeOf.has(session.itemId)) problems.push(`sessions[${i}].itemId "${session.itemId}" is not an item id`);
  });
  if (problems.length > 0) throw new Error(`invalid ${what}:\n  ${problems.join('\n  ')}`);
}

export async function loadDataFile(path: string, dialect: MediaBrowserDialect): Promise<MediaBrowserEmulatorData> {
  const raw = await readJsonFile(path, `${dialect} emulator data file`);
  return normalizeData(raw, dialect, `data file ${path}`);
}
