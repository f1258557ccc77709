// Benchmark setup, run as its own short-lived process so that downloading and re-uploading the
// whole emulator state (tens of MB of JSON for 20 000 items) never shows up in the benchmark
// process's peak RSS.
//
//   node --import tsx bench/seed-progress.ts <emulator-url> <count> <seed> [plex|jellyfin|emby|trakt] [user]
//                                            [--picked FILE] [--avoid FILE]… [--finish | --behind FILE]
//
// Picks <count> movies and episodes deterministically (in proportion to how many of each the
// library holds, evenly spread over the library so episodes span many shows), gives one user a
// resume position at 10–80 % of each item's duration with the last-played time spread over the
// last week, and writes the state back. Prints one JSON line: what it changed.
//   --picked FILE  also write the picked items' identities (kind-neutral: title and year, show
//                  title/year + season/episode) to FILE as a JSON array;
//   --avoid FILE   never pick an item whose identity is in FILE (such a list; repeatable), and
//                  (positions) pick at the half-way points of the even spread. Two-way scenarios
//                  seed side B this way, so the two sides' changed items are disjoint;
//   --finish       mark the picked items watched instead (play count + 1, no position, last
//                  played 10 minutes to 3 days ago), a quarter of the spacing further on;
//   --behind FILE  give positions to exactly the items named in FILE, last played 4–7 days ago:
//                  the target's positions that the source's finishes are newer than.
//   plex (default): the owner account; `viewOffset` (ms), `viewCount`, `lastViewedAt` (epoch s).
//   jellyfin/emby: the named user (default alice); `userData[userId][itemId]` with
//     `PlaybackPositionTicks`, `LastPlayedDate`, `Played`, `PlayCount`.
//   trakt: the named user's saved playback (`progress` %, `paused_at`), as /scrobble/pause leaves it
//     (positions only).
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { MediaBrowserEmulatorData, MbItem } from '../emulators/mediabrowser/data.ts';
import type { PlexEmulatorData, PlexItem } from '../emulators/plex/data.ts';
import type { TraktEmulatorData } from '../emulators/trakt/data.ts';

/** mulberry32: a tiny deterministic PRNG; good enough to spread positions and times. */
export function prng(seedText: string): () => number {
  let seed = 2166136261;
  for (let i = 0; i < seedText.length; i++) seed = Math.imul(seed ^ seedText.charCodeAt(i), 16777619);
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` items taken at evenly spaced positions of `list` (deterministic, spread out); `phase`
 * (0 ≤ phase < 1) shifts every position by that fraction of the spacing.
 */
function spread<T>(list: T[], count: number, phase = 0): T[] {
  if (count <= 0 || list.length === 0) return [];
  const n = Math.min(count, list.length);
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(list[Math.floor(((i + phase) * list.length) / n)] as T);
  return out;
}

/** What to leave alone, and where in the spread to pick (see --avoid). */
export interface PickOptions {
  /** Identities (see plexIdentities / mediaBrowserIdentities) never to pick. */
  avoid?: ReadonlySet<string>;
  /** Shift of the even spread, as a fraction of its spacing. */
  phase?: number;
}

export interface SeedSummary {
  movies: number;
  episodes: number;
  /** Plex: the owner account's id; Jellyfin/Emby: the user's id. */
  user: string;
  /** Playable items left out because their identity was in --avoid. */
  avoided: number;
}

/** The summary plus the picked items' identities (written to --picked, not printed). */
export interface SeedResult extends SeedSummary {
  identities: string[];
}

/**
 * A kind-neutral identity (the same on every emulator kind given the same spec and seed):
 * `movie:<title> (<year>)`, `episode:<show title> (<show year>) s01e02`.
 */
const movieIdentity = (title: string, year: number | undefined): string => `movie:${title} (${year ?? '?'})`;
const episodeIdentity = (show: string, year: number | undefined, season: number | undefined, episode: number | undefined): string =>
  `episode:${show} (${year ?? '?'}) s${String(season ?? 0).padStart(2, '0')}e${String(episode ?? 0).padStart(2, '0')}`;

export function plexIdentities(data: PlexEmulatorData): Map<PlexItem, string> {
  const byKey = new Map(data.items.map((i) => [i.ratingKey, i] as const));
  const out = new Map<PlexItem, string>();
  for (const i of data.items) {
    if (i.type === 'movie') out.set(i, movieIdentity(i.title, i.year));
    else if (i.type === 'episode') {
      const show = i.grandparentRatingKey !== undefined ? byKey.get(i.grandparentRatingKey) : undefined;
      out.set(i, episodeIdentity(show?.title ?? '?', show?.year, i.parentIndex, i.index));
    }
  }
  return out;
}

export function mediaBrowserIdentities(data: MediaBrowserEmulatorData): Map<MbItem, string> {
  const byId = new Map(data.items.map((i) => [i.Id, i] as const));
  const out = new Map<MbItem, string>();
  for (const i of data.items) {
    if (i.Type === 'Movie') out.set(i, movieIdentity(i.Name, i.ProductionYear));
    else if (i.Type === 'Episode') {
      const show = i.SeriesId !== undefined ? byId.get(i.SeriesId) : undefined;
      out.set(i, episodeIdentity(show?.Name ?? '?', show?.ProductionYear, i.ParentIndexNumber, i.IndexNumber));
    }
  }
  return out;
}

/** Movies and episodes to change, in library proportion, spread over the library. */
function pick<T>(movies: T[], episodes: T[], changed: number, phase = 0): { picked: T[]; movies: number; episodes: number } {
  const available = movies.length + episodes.length;
  if (changed > available) throw new Error(`seed-progress: asked for ${changed} changed items but the library has only ${available} movies and episodes`);
  let wantMovies = available === 0 ? 0 : Math.round((changed * movies.length) / available);
  // A mix of both whenever both exist and more than one item is asked for.
  if (changed >= 2 && movies.length > 0 && episodes.length > 0) wantMovies = Math.min(Math.max(wantMovies, 1), changed - 1);
  wantMovies = Math.min(wantMovies, movies.length);
  const wantEpisodes = Math.min(changed - wantMovies, episodes.length);
  return { picked: [...spread(movies, wantMovies, phase), ...spread(episodes, wantEpisodes, phase)], movies: wantMovies, episodes: wantEpisodes };
}

/**
 * A position fraction (10–80 %) and an age (from `minAgeS`, spread over `spanS`, never in the
 * future), per item. Changed items: 10 minutes to a week old.
 */
function positions(seed: string, minAgeS = 600, spanS = 7 * 86_400): () => { fraction: number; ageS: number } {
  const random = prng(`playhead-bench:${seed}`);
  return () => {
    const fraction = 0.1 + random() * 0.7;
    const ageS = minAgeS + Math.floor(random() * spanS);
    return { fraction, ageS };
  };
}

/** Finishes (--finish) are 10 minutes to 3 days old … */
const FINISH_AGES = { minAgeS: 600, spanS: 3 * 86_400 };
/** … and the positions behind them (--behind) 4 to 7 days: always played before the finish. */
const BEHIND_AGES = { minAgeS: 4 * 86_400, spanS: 3 * 86_400 };

/** One playable item of an emulator's state, and how to change one user's state of it. */
interface Candidate {
  type: 'movie' | 'episode';
  identity: string;
  /** A resume position at `fraction` of the duration, last played `ageS` ago. */
  position(fraction: number, ageS: number): void;
  /** Watched (play count 1, no position), last played `ageS` ago. */
  finish(ageS: number): void;
}

function plexCandidates(data: PlexEmulatorData, nowMs: number): { user: string; candidates: Candidate[] } {
  const owner = data.accounts.find((a) => a.owner) ?? data.accounts[0];
  if (!owner) throw new Error('seed-progress: the emulator state has no accounts');
  const identity = plexIdentities(data);
  const nowS = Math.floor(nowMs / 1000);
  const states = (data.userState[String(owner.id)] ??= {});
  const candidates = data.items.flatMap((item): Candidate[] => {
    if ((item.type !== 'movie' && item.type !== 'episode') || (item.durationMs ?? 0) <= 0) return [];
    return [
      {
        type: item.type,
        identity: identity.get(item) ?? '',
        position: (fraction, ageS) => {
          states[item.ratingKey] = { ...states[item.ratingKey], viewOffset: Math.round((item.durationMs ?? 0) * fraction), lastViewedAt: nowS - ageS };
        },
        finish: (ageS) => {
          const { viewOffset: _position, ...rest } = states[item.ratingKey] ?? {};
          states[item.ratingKey] = { ...rest, viewCount: (rest.viewCount ?? 0) + 1, lastViewedAt: nowS - ageS };
        },
      },
    ];
  });
  return { user: String(owner.id), candidates };
}

function mediaBrowserCandidates(data: MediaBrowserEmulatorData, nowMs: number, userName: string): { user: string; candidates: Candidate[] } {
  const user = data.users.find((u) => u.name === userName);
  if (!user) throw new Error(`seed-progress: the emulator has no user "${userName}" (users: ${data.users.map((u) => u.name).join(', ')})`);
  const identity = mediaBrowserIdentities(data);
  const records = (data.userData[user.id] ??= {});
  const at = (ageS: number) => new Date(nowMs - ageS * 1000).toISOString();
  const candidates = data.items.flatMap((item): Candidate[] => {
    if ((item.Type !== 'Movie' && item.Type !== 'Episode') || (item.RunTimeTicks ?? 0) <= 0) return [];
    return [
      {
        type: item.Type === 'Movie' ? 'movie' : 'episode',
        identity: identity.get(item) ?? '',
        position: (fraction, ageS) => {
          records[item.Id] = {
            IsFavorite: false,
            ...records[item.Id],
            PlaybackPositionTicks: Math.round((item.RunTimeTicks ?? 0) * fraction),
            PlayCount: 0,
            Played: false,
            LastPlayedDate: at(ageS),
          };
        },
        finish: (ageS) => {
          const previous = records[item.Id];
          records[item.Id] = {
            IsFavorite: false,
            ...previous,
            PlaybackPositionTicks: 0,
            PlayCount: (previous?.PlayCount ?? 0) + 1,
            Played: true,
            LastPlayedDate: at(ageS),
          };
        },
      },
    ];
  });
  return { user: user.id, candidates };
}

/** Trakt: a position is a saved playback entry (`progress` %, `paused_at`), as `/scrobble/pause` leaves it. */
function traktCandidates(data: TraktEmulatorData, nowMs: number, userName: string): { user: string; candidates: Candidate[] } {
  if (!data.users.some((u) => u.username === userName)) throw new Error(`seed-progress: the Trakt emulator has no user "${userName}"`);
  const list = (data.playback[userName] ??= []);
  let id = Math.max(0, ...Object.values(data.playback).flatMap((l) => l.map((p) => p.id)));
  const shows = new Map(data.shows.map((s) => [s.ids.trakt, s] as const));
  const entry = (type: 'movie' | 'episode', item: number, identity: string): Candidate => ({
    type,
    identity,
    position: (fraction, ageS) => {
      list.push({ id: ++id, type, item, progress: Math.round(fraction * 10_000) / 100, paused_at: new Date(nowMs - ageS * 1000).toISOString() });
    },
    finish: () => {
      throw new Error('seed-progress: finishing items on Trakt is not supported (no scenario has Trakt as the source)');
    },
  });
  return {
    user: userName,
    candidates: [
      ...data.movies.map((m) => entry('movie', m.ids.trakt, movieIdentity(m.title, m.year ?? undefined))),
      ...data.episodes.map((e) => {
        const show = shows.get(e.show);
        return entry('episode', e.ids.trakt, episodeIdentity(show?.title ?? '?', show?.year ?? undefined, e.season, e.number));
      }),
    ],
  };
}

/** What to do to the picked items. */
export type SeedMode =
  /** `count` items, spread over the library: a position played in the last week. */
  | { kind: 'progress' }
  /** `count` items, spread over the library (a quarter of the spacing further on): watched in the last 3 days. */
  | { kind: 'finish' }
  /** Exactly the items with these identities: a position played 4–7 days ago (before any finish). */
  | { kind: 'behind'; identities: ReadonlySet<string> };

/** Picks and changes items of one user on one emulator's state (changed in place). */
export function seed(
  kind: 'plex' | 'jellyfin' | 'emby' | 'trakt',
  data: unknown,
  count: number,
  seedText: string,
  nowMs: number,
  userName: string,
  mode: SeedMode,
  opts: PickOptions = {},
): SeedResult {
  const { user, candidates } =
    kind === 'plex'
      ? plexCandidates(data as PlexEmulatorData, nowMs)
      : kind === 'trakt'
        ? traktCandidates(data as TraktEmulatorData, nowMs, userName)
        : mediaBrowserCandidates(data as MediaBrowserEmulatorData, nowMs, userName);
  let avoided = 0;
  const allowed = candidates.filter((c) => {
    if (!opts.avoid?.has(c.identity)) return true;
    avoided++;
    return false;
  });
  // Synthetic titles repeat now and then: finishes (and the positions behind them) go only to
  // items whose identity is unique, so the target's item is the source's.
  const seen = new Map<string, number>();
  for (const c of candidates) seen.set(c.identity, (seen.get(c.identity) ?? 0) + 1);
  const unique = (c: Candidate) => seen.get(c.identity) === 1;
  let picked: Candidate[];
  if (mode.kind === 'behind') {
    picked = allowed.filter((c) => mode.identities.has(c.identity) && unique(c));
    if (picked.length !== mode.identities.size)
      throw new Error(`seed-progress: found ${picked.length} of the ${mode.identities.size} items asked for once each`);
  } else {
    const phase = opts.phase ?? (mode.kind === 'finish' ? 0.25 : 0);
    const byType = (type: Candidate['type']) => allowed.filter((c) => c.type === type && (mode.kind !== 'finish' || unique(c)));
    picked = pick(byType('movie'), byType('episode'), count, phase).picked;
  }
  const ages = mode.kind === 'progress' ? undefined : mode.kind === 'finish' ? FINISH_AGES : BEHIND_AGES;
  const next = ages ? positions(seedText, ages.minAgeS, ages.spanS) : positions(seedText);
  for (const c of picked) {
    const { fraction, ageS } = next();
    if (mode.kind === 'finish') c.finish(ageS);
    else c.position(fraction, ageS);
  }
  const movies = picked.filter((c) => c.type === 'movie').length;
  return { movies, episodes: picked.length - movies, user, identities: picked.map((c) => c.identity), avoided };
}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      picked: { type: 'string' },
      avoid: { type: 'string', multiple: true, default: [] },
      finish: { type: 'boolean', default: false },
      behind: { type: 'string' },
    },
  });
  const [url, countText, seedText, kind = 'plex', user = 'alice'] = positionals;
  const count = Number(countText);
  if (!url || !Number.isInteger(count) || count < 0 || !seedText || !(kind === 'plex' || kind === 'jellyfin' || kind === 'emby' || kind === 'trakt')) {
    throw new Error(
      'usage: seed-progress.ts <emulator-url> <count> <seed> [plex|jellyfin|emby|trakt] [user] [--picked FILE] [--avoid FILE]… [--finish | --behind FILE]',
    );
  }
  const readList = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as string[];
  const avoid = new Set(values.avoid.flatMap(readList));
  const mode: SeedMode = values.behind
    ? { kind: 'behind', identities: new Set(readList(values.behind)) }
    : values.finish
      ? { kind: 'finish' }
      : { kind: 'progress' };
  // Positions avoiding another side's items sit at the half-way points of the spread (see --avoid).
  const opts: PickOptions = avoid.size > 0 ? { avoid, ...(mode.kind === 'progress' ? { phase: 0.5 } : {}) } : {};
  const got = await fetch(`${url}/__emulator/state`);
  if (!got.ok) throw new Error(`GET /__emulator/state answered ${got.status}`);
  const data: unknown = await got.json();
  const summary = seed(kind, data, count, seedText, Date.now(), user, mode, opts);
  const put = await fetch(`${url}/__emulator/state`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data) });
  if (!put.ok) throw new Error(`PUT /__emulator/state answered ${put.status}: ${(await put.text()).slice(0, 500)}`);
  await put.body?.cancel();
  if (values.picked) writeFileSync(values.picked, `${JSON.stringify(summary.identities)}\n`);
  // The identities go to --picked only: stdout stays one short line.
  const { identities: _identities, ...short } = summary;
  process.stdout.write(`${JSON.stringify(short satisfies SeedSummary)}\n`);
}

if (process.argv[1] !== undefined && /seed-progress\.ts$/.test(process.argv[1])) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`seed-progress: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
