// The Trakt emulator's whole state: JSON-serialisable, loaded from a data file or built from the
// synthetic catalogue, replaced through PUT /__emulator/state. The schema is the documentation
// of the format (see README.md); validation errors name the path of the bad field.
import { z } from 'zod';
import { parseWithSchema, readJsonFile } from '../common/data-file.ts';

/**
 * UTC ISO-8601 with a `Z`, e.g. `2026-11-23T20:11:09.000Z`. Other fraction lengths are accepted
 * and stored with milliseconds, the way Trakt prints every time.
 */
const isoTime = z.iso.datetime({ message: 'must be a UTC ISO-8601 time like 2026-11-23T20:11:09.000Z' }).transform((value) => new Date(value).toISOString());
const traktId = z.number().int().positive();
const externalNumber = z.number().int().positive().nullable().optional();
const imdbId = z
  .string()
  .regex(/^tt\d+$/, 'must look like tt0111161')
  .nullable()
  .optional();
/** Minutes, as Trakt reports `runtime` with `extended=full`. */
const runtime = z.number().int().nonnegative().optional();

const movieIdsSchema = z.strictObject({
  trakt: traktId,
  slug: z.string().min(1),
  imdb: imdbId,
  tmdb: externalNumber,
});

const showIdsSchema = z.strictObject({
  trakt: traktId,
  slug: z.string().min(1),
  imdb: imdbId,
  tmdb: externalNumber,
  tvdb: externalNumber,
});

const episodeIdsSchema = z.strictObject({
  trakt: traktId,
  imdb: imdbId,
  tmdb: externalNumber,
  tvdb: externalNumber,
});

const movieSchema = z.strictObject({
  title: z.string(),
  year: z.number().int().nullable(),
  ids: movieIdsSchema,
  runtime,
});

const showSchema = z.strictObject({
  title: z.string(),
  year: z.number().int().nullable(),
  ids: showIdsSchema,
  /** Typical episode length in minutes. */
  runtime,
});

const episodeSchema = z.strictObject({
  /** Trakt id of the show. */
  show: traktId,
  season: z.number().int().nonnegative(),
  number: z.number().int().nonnegative(),
  title: z.string().nullable(),
  ids: episodeIdsSchema,
  runtime,
});

const tokenSchema = z.strictObject({
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1),
  createdAt: isoTime,
  /** After this instant the access token answers 401. The refresh token does not expire. */
  expiresAt: isoTime,
  scope: z.string().default('public'),
});

const userSchema = z.strictObject({
  username: z.string().min(1),
  name: z.string().optional(),
  vip: z.boolean().default(false),
  /** One entry per grant (app login); a refresh replaces its entry in place. */
  tokens: z.array(tokenSchema),
});

const mediaType = z.enum(['movie', 'episode']);

const playbackSchema = z.strictObject({
  /** The playback id (int64 on the wire): what DELETE /sync/playback/{id} takes. */
  id: traktId,
  type: mediaType,
  /** Trakt id of the movie or episode. */
  item: traktId,
  /** Percent watched, 0–100 (a float). */
  progress: z.number().min(0).max(100),
  paused_at: isoTime,
});

const historySchema = z.strictObject({
  /** The history id (int64). */
  id: traktId,
  type: mediaType,
  item: traktId,
  watched_at: isoTime,
  action: z.enum(['scrobble', 'checkin', 'watch']).default('watch'),
});

const recentScrobbleSchema = z.strictObject({
  type: mediaType,
  item: traktId,
  watched_at: isoTime,
  /** A second stop ≥ 80 % of the same item before this instant answers 409. */
  expires_at: isoTime,
});

const watchingSchema = z.strictObject({
  type: mediaType,
  item: traktId,
  progress: z.number().min(0).max(100),
  started_at: isoTime,
  /** "Watching now" ends on its own at this instant (the rest of the runtime after start). */
  expires_at: isoTime,
});

const activityPairSchema = z.strictObject({ watched_at: isoTime.optional(), paused_at: isoTime.optional() });

const activitiesSchema = z.strictObject({
  movies: activityPairSchema.prefault({}),
  episodes: activityPairSchema.prefault({}),
});

const settingsSchema = z.strictObject({
  /** Lifetime of a newly issued access token (Trakt's 2026 contract: 7 days). */
  accessTokenTtlSeconds: z
    .number()
    .int()
    .positive()
    .default(7 * 86_400),
  /** `expires_in` of a device code. */
  deviceCodeExpiresIn: z.number().int().positive().default(600),
  /** `interval` of a device code: polls closer together than this answer 429. */
  deviceCodeInterval: z.number().int().nonnegative().default(5),
  /** Window of the duplicate-scrobble 409; default: the item's runtime (60 min when unknown). */
  scrobbleWindowMinutes: z.number().int().positive().optional(),
  /** When set, playback older than this many days is not listed (Trakt keeps about 6 months). */
  playbackRetentionDays: z.number().int().positive().optional(),
});

const traktEmulatorDataSchema = z.strictObject({
  app: z.strictObject({
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    name: z.string().default('Playhead'),
  }),
  settings: settingsSchema.prefault({}),
  users: z.array(userSchema),
  movies: z.array(movieSchema),
  shows: z.array(showSchema),
  episodes: z.array(episodeSchema),
  /** username → that user's saved playback progress. */
  playback: z.record(z.string(), z.array(playbackSchema)).default({}),
  /** username → plays, oldest first. */
  history: z.record(z.string(), z.array(historySchema)).default({}),
  /** username → recent ≥ 80 % stops, for the duplicate-scrobble 409. */
  scrobbles: z.record(z.string(), z.array(recentScrobbleSchema)).default({}),
  /** username → what the user is "watching now" after /scrobble/start. */
  watching: z.record(z.string(), watchingSchema).default({}),
  /** username → last change times reported by /sync/last_activities. */
  activities: z.record(z.string(), activitiesSchema).default({}),
});

export type TraktEmulatorData = z.output<typeof traktEmulatorDataSchema>;
/** What a data file may contain: like TraktEmulatorData, with the defaulted fields optional. */
export type TraktEmulatorDataInput = z.input<typeof traktEmulatorDataSchema>;
export type TraktUser = TraktEmulatorData['users'][number];
export type TraktToken = TraktUser['tokens'][number];
export type TraktMovie = TraktEmulatorData['movies'][number];
export type TraktShow = TraktEmulatorData['shows'][number];
export type TraktEpisode = TraktEmulatorData['episodes'][number];
export type TraktMediaType = z.output<typeof mediaType>;
export type TraktPlayback = z.output<typeof playbackSchema>;
export type TraktHistory = z.output<typeof historySchema>;
export type TraktActivities = z.output<typeof activitiesSchema>;

/** Validate and fill defaults; throws one error listing every problem with its path. */
export function normalizeData(raw: unknown, source = 'data'): TraktEmulatorData {
  const data = parseWithSchema(traktEmulatorDataSchema, raw, `Trakt emulator ${source}`);
  checkReferences(data, source);
  return data;
}

function duplicates<T>(problems: string[], values: Array<[string, T | null | undefined]>, what: string): void {
  const seen = new Map<T, string>();
  for (const [path, value] of values) {
    if (value === null || value === undefined) continue;
    const first = seen.get(value);
    if (first !== undefined) problems.push(`${path}: ${what} ${JSON.stringify(value)} is already used at ${first}`);
    else seen.set(value, path);
  }
}

/** Catch dangling references early: a typo in a data file should not surface as an odd response. */
function checkReferences(data: TraktEmulatorData, source: string): void {
  const problems: string[] = [];
  duplicates(
    problems,
    data.movies.map((m, i) => [`movies[${i}].ids.trakt`, m.ids.trakt]),
    'trakt id',
  );
  duplicates(
    problems,
    data.movies.map((m, i) => [`movies[${i}].ids.slug`, m.ids.slug]),
    'slug',
  );
  duplicates(
    problems,
    data.shows.map((s, i) => [`shows[${i}].ids.trakt`, s.ids.trakt]),
    'trakt id',
  );
  duplicates(
    problems,
    data.shows.map((s, i) => [`shows[${i}].ids.slug`, s.ids.slug]),
    'slug',
  );
  duplicates(
    problems,
    data.episodes.map((e, i) => [`episodes[${i}].ids.trakt`, e.ids.trakt]),
    'trakt id',
  );
  duplicates(
    problems,
    data.episodes.map((e, i) => [`episodes[${i}]`, `${e.show} S${e.season}E${e.number}`]),
    'show/season/number',
  );

  const showIds = new Set(data.shows.map((s) => s.ids.trakt));
  for (const [i, episode] of data.episodes.entries()) {
    if (!showIds.has(episode.show)) problems.push(`episodes[${i}].show: ${episode.show} is not the trakt id of a show`);
  }

  duplicates(
    problems,
    data.users.map((u, i) => [`users[${i}].username`, u.username]),
    'username',
  );
  const tokenPaths = data.users.flatMap((u, i) => u.tokens.map((t, j): [string, string] => [`users[${i}].tokens[${j}].accessToken`, t.accessToken]));
  duplicates(problems, tokenPaths, 'access token');
  const refreshPaths = data.users.flatMap((u, i) => u.tokens.map((t, j): [string, string] => [`users[${i}].tokens[${j}].refreshToken`, t.refreshToken]));
  duplicates(problems, refreshPaths, 'refresh token');

  const usernames = new Set(data.users.map((u) => u.username));
  const movieIds = new Set(data.movies.map((m) => m.ids.trakt));
  const episodeIds = new Set(data.episodes.map((e) => e.ids.trakt));
  const exists = (type: TraktMediaType, item: number) => (type === 'movie' ? movieIds : episodeIds).has(item);
  const perUser = ['playback', 'history', 'scrobbles', 'watching', 'activities'] as const;
  for (const field of perUser) {
    for (const username of Object.keys(data[field])) {
      if (!usernames.has(username)) problems.push(`${field}.${username}: no user "${username}"`);
    }
  }
  for (const field of ['playback', 'history', 'scrobbles'] as const) {
    for (const [username, entries] of Object.entries(data[field])) {
      for (const [i, entry] of entries.entries()) {
        if (!exists(entry.type, entry.item)) problems.push(`${field}.${username}[${i}].item: no ${entry.type} with trakt id ${entry.item}`);
      }
    }
  }
  for (const [username, watching] of Object.entries(data.watching)) {
    if (!exists(watching.type, watching.item)) problems.push(`watching.${username}.item: no ${watching.type} with trakt id ${watching.item}`);
  }
  const playbackIds = Object.entries(data.playback).flatMap(([u, list]) => list.map((p, i): [string, number] => [`playback.${u}[${i}].id`, p.id]));
  duplicates(problems, playbackIds, 'playback id');
  const historyIds = Object.entries(data.history).flatMap(([u, list]) => list.map((h, i): [string, number] => [`history.${u}[${i}].id`, h.id]));
  duplicates(problems, historyIds, 'history id');
  for (const [username, entries] of Object.entries(data.playback)) {
    duplicates(
      problems,
      entries.map((p, i) => [`playback.${username}[${i}]`, `${p.type}:${p.item}`]),
      'item',
    );
  }

  if (problems.length > 0) throw new Error(`invalid Trakt emulator ${source}:\n  ${problems.join('\n  ')}`);
}

export async function loadDataFile(path: string): Promise<TraktEmulatorData> {
  return normalizeData(await readJsonFile(path, 'Trakt emulator data file'), `data file ${path}`);
}
