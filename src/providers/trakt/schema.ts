// zod schemas of the Trakt API payloads we read (api version 2).
import { z } from 'zod';

const traktIds = z.looseObject({
  trakt: z.number().nullish(),
  slug: z.string().nullish(),
  imdb: z.string().nullish(),
  tmdb: z.number().nullish(),
  tvdb: z.number().nullish(),
});
export type TraktIds = z.infer<typeof traktIds>;

const movie = z.looseObject({ title: z.string().nullish(), year: z.number().nullish(), ids: traktIds, runtime: z.number().nullish() });
const show = z.looseObject({ title: z.string().nullish(), year: z.number().nullish(), ids: traktIds });
const episode = z.looseObject({ season: z.number(), number: z.number(), title: z.string().nullish(), ids: traktIds, runtime: z.number().nullish() });

export const playbackEntry = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('movie'), id: z.number(), progress: z.number(), paused_at: z.string(), movie }),
  z.looseObject({ type: z.literal('episode'), id: z.number(), progress: z.number(), paused_at: z.string(), episode, show }),
]);
export type PlaybackEntry = z.infer<typeof playbackEntry>;
export const playbackList = z.array(playbackEntry);

/** One play of `/sync/history`: its own id (for `/sync/history/remove`), when, and the item. */
const historyEntry = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('movie'), id: z.number(), watched_at: z.string(), movie }),
  z.looseObject({ type: z.literal('episode'), id: z.number(), watched_at: z.string(), episode, show }),
]);
export type HistoryEntry = z.infer<typeof historyEntry>;
export const historyList = z.array(historyEntry);

/** The stamps of `/sync/last_activities` we read; the rest of the answer is not ours. */
const activityStamps = z.looseObject({ watched_at: z.string(), paused_at: z.string() });
export const lastActivities = z.looseObject({ movies: activityStamps, episodes: activityStamps });
export type LastActivities = z.infer<typeof lastActivities>;

/** `/search/{id_type}/{id}`: we read only the Trakt id of what was found. */
const found = z.looseObject({ ids: z.looseObject({ trakt: z.number() }) });
export const searchResults = z.array(z.looseObject({ type: z.string(), movie: found.optional(), show: found.optional(), episode: found.optional() }));

export const deviceCode = z.looseObject({
  device_code: z.string(),
  user_code: z.string(),
  verification_url: z.string(),
  expires_in: z.number(),
  interval: z.number(),
});

export const tokenResponse = z.looseObject({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  expires_in: z.number(),
  created_at: z.number().optional(),
});
export type TokenResponse = z.infer<typeof tokenResponse>;

export const scrobbleResponse = z.looseObject({ id: z.number().optional(), action: z.string(), progress: z.number() });
export type ScrobbleResponse = z.infer<typeof scrobbleResponse>;

/** `/sync/history/remove`: how many plays went; the rest of the answer is not ours. */
export const historyRemoved = z.looseObject({ deleted: z.looseObject({ movies: z.number(), episodes: z.number() }) });
