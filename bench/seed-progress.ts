// Benchmark setup, run as its own short-lived process so that downloading and re-uploading the
// whole emulator state (tens of MB of JSON for 20 000 items) never shows up in the benchmark
// process's peak RSS.
//
//   node --import tsx bench/seed-progress.ts <emulator-url> <changed> <seed> [plex|jellyfin|emby] [user]
//                                            [--picked FILE] [--avoid FILE]
//
// Picks <changed> movies and episodes deterministically (in proportion to how many of each the
// library holds, evenly spread over the library so episodes span many shows), gives one user a
// resume position at 10–80 % of each item's duration with the last-played time spread over the
// last week, and writes the state back. Prints one JSON line: what it changed.
//   --picked FILE  also write the picked items' identities (kind-neutral: title and year, show
//                  title/year + season/episode) to FILE as a JSON array;
//   --avoid FILE   never pick an item whose identity is in FILE (such a list), and pick at the
//                  half-way points of the even spread. Two-way scenarios seed side B this way, so
//                  the two sides' changed items are disjoint.
//   plex (default): the owner account; `viewOffset` (ms) and `lastViewedAt` (epoch s).
//   jellyfin/emby: the named user (default alice); `userData[userId][itemId]` with
//     `PlaybackPositionTicks`, `LastPlayedDate`, not played, play count 0.
//   trakt: the named user's saved playback (`progress` %, `paused_at`), as /scrobble/pause leaves it.
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

/** A position fraction (10–80 %) and an age (10 minutes to a week, never in the future), per item. */
function positions(seed: string): () => { fraction: number; ageS: number } {
  const random = prng(`playhead-bench:${seed}`);
  return () => {
    const fraction = 0.1 + random() * 0.7;
    const ageS = 600 + Math.floor(random() * 7 * 86_400);
    return { fraction, ageS };
  };
}

export function seedProgress(data: PlexEmulatorData, changed: number, seed: string, nowMs: number, opts: PickOptions = {}): SeedResult {
  const owner = data.accounts.find((a) => a.owner) ?? data.accounts[0];
  if (!owner) throw new Error('seed-progress: the emulator state has no accounts');
  const identity = plexIdentities(data);
  let avoided = 0;
  const allowed = (i: PlexItem): boolean => {
    if (!opts.avoid?.has(identity.get(i) ?? '')) return true;
    avoided++;
    return false;
  };
  const playable = (type: PlexItem['type']) => data.items.filter((i) => i.type === type && (i.durationMs ?? 0) > 0 && allowed(i));
  const { picked, movies, episodes } = pick(playable('movie'), playable('episode'), changed, opts.phase);
  const next = positions(seed);
  const nowS = Math.floor(nowMs / 1000);
  const states = (data.userState[String(owner.id)] ??= {});
  for (const item of picked) {
    const { fraction, ageS } = next();
    states[item.ratingKey] = { ...states[item.ratingKey], viewOffset: Math.round((item.durationMs ?? 0) * fraction), lastViewedAt: nowS - ageS };
  }
  return { movies, episodes, user: String(owner.id), identities: picked.map((i) => identity.get(i) ?? ''), avoided };
}

export function seedMediaBrowserProgress(
  data: MediaBrowserEmulatorData,
  changed: number,
  seed: string,
  nowMs: number,
  userName: string,
  opts: PickOptions = {},
): SeedResult {
  const user = data.users.find((u) => u.name === userName);
  if (!user) throw new Error(`seed-progress: the emulator has no user "${userName}" (users: ${data.users.map((u) => u.name).join(', ')})`);
  const identity = mediaBrowserIdentities(data);
  let avoided = 0;
  const allowed = (i: MbItem): boolean => {
    if (!opts.avoid?.has(identity.get(i) ?? '')) return true;
    avoided++;
    return false;
  };
  const playable = (type: MbItem['Type']) => data.items.filter((i) => i.Type === type && (i.RunTimeTicks ?? 0) > 0 && allowed(i));
  const { picked, movies, episodes } = pick(playable('Movie'), playable('Episode'), changed, opts.phase);
  const next = positions(seed);
  const records = (data.userData[user.id] ??= {});
  for (const item of picked) {
    const { fraction, ageS } = next();
    const previous = records[item.Id];
    records[item.Id] = {
      IsFavorite: false,
      ...previous,
      PlaybackPositionTicks: Math.round((item.RunTimeTicks ?? 0) * fraction),
      PlayCount: 0,
      Played: false,
      LastPlayedDate: new Date(nowMs - ageS * 1000).toISOString(),
    };
  }
  return { movies, episodes, user: user.id, identities: picked.map((i) => identity.get(i) ?? ''), avoided };
}

/** Trakt: `changed` saved playback positions (10–80 %) for the named user, as `/scrobble/pause` leaves them. */
export function seedTraktPlayback(data: TraktEmulatorData, changed: number, seed: string, nowMs: number, userName: string): SeedResult {
  if (!data.users.some((u) => u.username === userName)) throw new Error(`seed-progress: the Trakt emulator has no user "${userName}"`);
  type Pick = { type: 'movie' | 'episode'; item: number };
  const { picked, movies, episodes } = pick<Pick>(
    data.movies.map((m) => ({ type: 'movie', item: m.ids.trakt })),
    data.episodes.map((e) => ({ type: 'episode', item: e.ids.trakt })),
    changed,
  );
  const next = positions(seed);
  const list = (data.playback[userName] ??= []);
  let id = Math.max(0, ...Object.values(data.playback).flatMap((l) => l.map((p) => p.id)));
  for (const p of picked) {
    const { fraction, ageS } = next();
    list.push({ id: ++id, type: p.type, item: p.item, progress: Math.round(fraction * 10_000) / 100, paused_at: new Date(nowMs - ageS * 1000).toISOString() });
  }
  return { movies, episodes, user: userName, identities: [], avoided: 0 };
}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: { picked: { type: 'string' }, avoid: { type: 'string' } },
  });
  const [url, changedText, seed, kind = 'plex', user = 'alice'] = positionals;
  const changed = Number(changedText);
  if (!url || !Number.isInteger(changed) || changed < 0 || !seed || !['plex', 'jellyfin', 'emby', 'trakt'].includes(kind)) {
    throw new Error('usage: seed-progress.ts <emulator-url> <changed> <seed> [plex|jellyfin|emby|trakt] [user] [--picked FILE] [--avoid FILE]');
  }
  const opts: PickOptions = values.avoid ? { avoid: new Set(JSON.parse(readFileSync(values.avoid, 'utf8')) as string[]), phase: 0.5 } : {};
  const got = await fetch(`${url}/__emulator/state`);
  if (!got.ok) throw new Error(`GET /__emulator/state answered ${got.status}`);
  const data: unknown = await got.json();
  const summary =
    kind === 'plex'
      ? seedProgress(data as PlexEmulatorData, changed, seed, Date.now(), opts)
      : kind === 'trakt'
        ? seedTraktPlayback(data as TraktEmulatorData, changed, seed, Date.now(), user)
        : seedMediaBrowserProgress(data as MediaBrowserEmulatorData, changed, seed, Date.now(), user, opts);
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
