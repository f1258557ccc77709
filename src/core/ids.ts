// External ids: normalising them, reading them out of Plex GUID strings, and turning an item's
// identity into the keys under which Playhead stores and matches it.
//
// Two kinds of key come out of here:
// - `canonicalKey(item)` is the ONE key an item is stored and reported under (state database,
//   decisions, `explain`). It is stable: the same ids always give the same key, whichever
//   provider they were read from, because it takes ids in a fixed priority (imdb, tmdb, tvdb).
// - `matchTokens(item)` is EVERY key under which the item may be found. Two servers rarely know
//   the same set of ids (one has imdb, the other only tmdb), so items match when they share any
//   token. The token set always contains the canonical key in token form (for movies with a
//   `movie:` prefix), so "same canonical key" implies "shares a token", never the reverse.
import { ID_KINDS } from './model.ts';
import type { ExternalIds, IdKind, ItemIdentity, NativeRef } from './model.ts';

/** Spellings that servers use for "no id". Compared in lower case, after trimming. */
const EMPTY_VALUES = new Set(['', 'none', 'null', 'nan', 'undefined', 'unknown', '0']);

/** Other names for our id kinds (Plex's legacy agents, Kodi). Matched case-insensitively. */
const KIND_ALIASES: Record<string, IdKind> = {
  imdb: 'imdb',
  tmdb: 'tmdb',
  tvdb: 'tvdb',
  themoviedb: 'tmdb',
  thetvdb: 'tvdb',
};

/** Normalises one id value; `undefined` when it is absent or unusable. */
function normaliseValue(kind: IdKind, value: unknown): string | undefined {
  let text: string;
  if (typeof value === 'string') text = value.trim();
  else if (typeof value === 'number' && Number.isFinite(value)) text = String(Math.trunc(value));
  else return undefined;
  if (EMPTY_VALUES.has(text.toLowerCase())) return undefined;
  if (kind === 'imdb') {
    const lower = text.toLowerCase();
    const tt = /tt(\d+)/.exec(lower);
    const digits = tt ? tt[1] : lower.replace(/\D+/g, '');
    return imdbFromDigits(digits);
  }
  const digits = text.replace(/\D+/g, '').replace(/^0+/, '');
  return digits === '' ? undefined : digits;
}

/** IMDb numbers are at least 7 digits (`tt0111161`); a source that dropped the zeros still
 * names the same title, so pad back to 7. All-zero numbers are not ids. */
function imdbFromDigits(digits: string | undefined): string | undefined {
  if (digits === undefined || digits === '' || /^0+$/.test(digits)) return undefined;
  return `tt${digits.padStart(7, '0')}`;
}

/**
 * Picks imdb / tmdb / tvdb out of a loose map (Jellyfin `ProviderIds`, Trakt `ids`, …) and
 * normalises them:
 * - keys are matched case-insensitively; `themoviedb` and `thetvdb` count as tmdb and tvdb; an
 *   exact name beats an alias when both are present; other keys are ignored;
 * - empty / none / null / nan / undefined / unknown / "0" are dropped;
 * - tmdb and tvdb keep their digits only, without leading zeros (`"tmdb-0550"` → `"550"`);
 * - imdb is lower-cased and its `tt<digits>` part taken; bare digits get `tt` in front; the
 *   number is padded to IMDb's 7 digits (`111161` → `tt0111161`).
 */
export function normaliseIds(raw: Record<string, unknown>): ExternalIds {
  const out: ExternalIds = {};
  const aliased: [IdKind, unknown][] = [];
  for (const [key, value] of Object.entries(raw)) {
    const lower = key.toLowerCase();
    // Own keys only: a server key such as `constructor` must not find Object's.
    const kind = Object.hasOwn(KIND_ALIASES, lower) ? KIND_ALIASES[lower] : undefined;
    if (kind === undefined) continue;
    if (lower !== kind) {
      aliased.push([kind, value]);
      continue;
    }
    const v = normaliseValue(kind, value);
    if (v !== undefined && out[kind] === undefined) out[kind] = v;
  }
  for (const [kind, value] of aliased) {
    const v = normaliseValue(kind, value);
    if (v !== undefined && out[kind] === undefined) out[kind] = v;
  }
  return out;
}

export interface ParsedGuid {
  /** Ids of the thing the guid names (for a show's guid: the show's ids). */
  ids: ExternalIds;
  /** Set when the guid names an episode by its show and coordinates (legacy TV agents). */
  show?: ExternalIds;
  season?: number;
  episode?: number;
  /** A `plex://…` guid, kept whole: it identifies the item in Plex's own catalogue only. */
  plexGuid?: string;
}

const LEGACY_AGENT = 'com.plexapp.agents.';

/** Words some guid forms put before the number (`tmdb://movie/550`, `tvdb://series/81189`). */
const GUID_TYPE_WORDS = new Set(['movie', 'movies', 'tv', 'show', 'shows', 'series', 'title', 'episode']);

/**
 * Reads one Plex guid. Handles:
 * - new-agent external ids: `imdb://tt…`, `imdb://title/tt…`, `tmdb://N`, `tmdb://movie/N`,
 *   `tmdb://tv/N`, `tvdb://N`, `tvdb://series/N`;
 * - legacy agents: `com.plexapp.agents.imdb://tt…?lang=en`, `…themoviedb://N?lang=en`,
 *   `…thetvdb://N?lang=en` (the show itself), `…thetvdb://{show}/{season}/{episode}?lang=en`
 *   (an episode: show ids and coordinates, no ids of its own; `…themoviedb://` likewise),
 *   `…thetvdbdvdorder://{show}…` (show id only: its season/episode numbers follow the DVD order,
 *   which other servers do not use), `…hama://tvdb-N…` / `tvdb2-N` … (tvdb; also `tmdb-`/`imdb-`;
 *   `anidb-` is not an id kind we match on);
 * - `plex://movie/<hex>`, `plex://episode/<hex>`, …: Plex's own catalogue id, not an external id,
 *   returned as `plexGuid` only;
 * - `local://…`, `com.plexapp.agents.none://…`, and anything unknown: nothing.
 * Schemes are case-insensitive; the `?lang=…` query is ignored.
 */
export function parsePlexGuid(guid: string): ParsedGuid {
  const text = guid.trim();
  const m = /^([a-z0-9.+_-]+):\/\/(.*)$/i.exec(text);
  if (!m) return { ids: {} };
  const scheme = (m[1] ?? '').toLowerCase();
  const rest = (m[2] ?? '').split(/[?#]/, 1)[0] ?? '';
  const segments = rest.split('/').filter((s) => s !== '');

  if (scheme === 'plex') return rest === '' ? { ids: {} } : { ids: {}, plexGuid: text };
  if (scheme === 'imdb' || scheme === 'tmdb' || scheme === 'tvdb') {
    return { ids: idFromSegments(scheme, segments) };
  }
  if (!scheme.startsWith(LEGACY_AGENT)) return { ids: {} };

  const agent = scheme.slice(LEGACY_AGENT.length);
  switch (agent) {
    case 'imdb':
      return { ids: single('imdb', segments[0]) };
    case 'themoviedb':
      return legacyTv('tmdb', segments, true);
    case 'thetvdb':
      return legacyTv('tvdb', segments, true);
    case 'thetvdbdvdorder':
      return legacyTv('tvdb', segments, false);
    case 'hama':
      return hama(segments);
    default:
      return { ids: {} };
  }
}

function single(kind: IdKind, value: string | undefined): ExternalIds {
  const v = value === undefined ? undefined : strictValue(kind, value);
  return v === undefined ? {} : { [kind]: v };
}

/** Like normaliseValue, but the text must look like an id of that kind as a whole: a guid
 * segment such as `image.rating` or `abc123` is not an id. */
function strictValue(kind: IdKind, text: string): string | undefined {
  const ok = kind === 'imdb' ? /^(tt)?\d+$/i.test(text) : /^\d+$/.test(text);
  return ok ? normaliseValue(kind, text) : undefined;
}

function idFromSegments(kind: IdKind, segments: string[]): ExternalIds {
  let i = 0;
  const first = segments[0];
  if (first !== undefined && GUID_TYPE_WORDS.has(first.toLowerCase())) i = 1;
  if (segments.length !== i + 1) return {};
  return single(kind, segments[i]);
}

/** `{id}` names the item itself; `{show}/{season}[/{episode}]` names an episode of a show. */
function legacyTv(kind: IdKind, segments: string[], coordinates: boolean): ParsedGuid {
  const ids = single(kind, segments[0]);
  if (segments.length <= 1) return { ids };
  if (Object.keys(ids).length === 0) return { ids: {} };
  const parsed: ParsedGuid = { ids: {}, show: ids };
  if (!coordinates) return parsed;
  const season = wholeNumber(segments[1]);
  const episode = wholeNumber(segments[2]);
  if (season !== undefined) parsed.season = season;
  if (season !== undefined && episode !== undefined) parsed.episode = episode;
  return parsed;
}

function hama(segments: string[]): ParsedGuid {
  const m = /^(tvdb\d?|tmdb|imdb)-(.+)$/i.exec(segments[0] ?? '');
  if (!m) return { ids: {} };
  const prefix = (m[1] ?? '').toLowerCase();
  const kind: IdKind = prefix.startsWith('tvdb') ? 'tvdb' : prefix === 'tmdb' ? 'tmdb' : 'imdb';
  // HAMA appends an episode range or season to the id (`tvdb-81189-1`); the id is the first run.
  const value = kind === 'imdb' ? /^tt\d+/i.exec(m[2] ?? '')?.[0] : /^\d+/.exec(m[2] ?? '')?.[0];
  // Only plain `tvdb-` uses TheTVDB's aired order; `tvdb2-`…`tvdb6-` renumber episodes, so their
  // coordinates would point at the wrong episode elsewhere.
  return legacyTv(kind, [value ?? '', ...segments.slice(1)], prefix === 'tvdb');
}

function wholeNumber(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}

/**
 * Merges several guids of one item (the primary `guid` first, then the `Guid[]` children).
 * The first guid that supplies a value wins for each field, so the primary guid decides
 * conflicts. Empty strings are skipped.
 */
export function idsFromPlexGuids(guids: string[]): ParsedGuid {
  const out: ParsedGuid = { ids: {} };
  for (const guid of guids) {
    if (typeof guid !== 'string' || guid.trim() === '') continue;
    const p = parsePlexGuid(guid);
    fillIds(out.ids, p.ids);
    if (p.show !== undefined) {
      out.show ??= {};
      fillIds(out.show, p.show);
    }
    if (out.season === undefined && p.season !== undefined) out.season = p.season;
    if (out.episode === undefined && p.episode !== undefined) out.episode = p.episode;
    if (out.plexGuid === undefined && p.plexGuid !== undefined) out.plexGuid = p.plexGuid;
  }
  return out;
}

function fillIds(into: ExternalIds, from: ExternalIds): void {
  for (const kind of ID_KINDS) {
    const v = from[kind];
    if (v !== undefined && into[kind] === undefined) into[kind] = v;
  }
}

/** The item's ids after normalising again (cheap insurance against a provider that skipped it). */
function cleanIds(ids: ExternalIds | undefined): ExternalIds {
  return ids === undefined ? {} : normaliseIds({ ...ids });
}

/** Episode ids that merely repeat the show's id of the same kind are the show's, not the
 * episode's (some servers copy them down); they are left out. */
function ownEpisodeIds(item: ItemIdentity): ExternalIds {
  const own = cleanIds(item.ids);
  const show = cleanIds(item.show?.ids);
  const out: ExternalIds = {};
  for (const kind of ID_KINDS) {
    const v = own[kind];
    if (v !== undefined && v !== show[kind]) out[kind] = v;
  }
  return out;
}

function coordinates(item: ItemIdentity): string | undefined {
  const { season, episode } = item;
  if (season === undefined || episode === undefined) return undefined;
  if (!Number.isInteger(season) || !Number.isInteger(episode) || season < 0 || episode < 0) return undefined;
  return `#s${String(season).padStart(2, '0')}e${String(episode).padStart(2, '0')}`;
}

function firstId(ids: ExternalIds): string | undefined {
  for (const kind of ID_KINDS) {
    const v = ids[kind];
    if (v !== undefined) return `${kind}:${v}`;
  }
  return undefined;
}

/**
 * The key an item is stored and reported under, or `undefined` when it has no usable external
 * id (the engine reports those as `missing_ids`).
 * - movie: its first id in the order imdb, tmdb, tvdb: `imdb:tt0111161`, `tmdb:550`, `tvdb:123`;
 * - episode with show ids and season/episode numbers: the show's first id (same order) plus the
 *   zero-padded coordinates: `tvdb:81189#s01e02`;
 * - other episodes: the episode's own first id, prefixed `episode:` (`episode:imdb:tt0959621`),
 *   because an episode's tmdb/tvdb numbers come from a different number space than movies' and
 *   could otherwise collide with a movie key. Own ids equal to the show's id are ignored.
 */
export function canonicalKey(item: ItemIdentity): string | undefined {
  if (item.type === 'movie') return firstId(cleanIds(item.ids));
  const coords = coordinates(item);
  const show = firstId(cleanIds(item.show?.ids));
  if (show !== undefined && coords !== undefined) return `${show}${coords}`;
  const own = firstId(ownEpisodeIds(item));
  return own === undefined ? undefined : `episode:${own}`;
}

/**
 * Every token the item can be found under; two items match when they share one.
 * - movie: `movie:imdb:tt…`, `movie:tmdb:…`, `movie:tvdb:…` for each id it has;
 * - episode: `{kind}:{showId}#s01e02` for each show id (when the coordinates are known), plus
 *   `episode:{kind}:{id}` for each of its own ids (ids repeating the show's are ignored).
 * The episode tokens use exactly the canonical-key spelling, so `canonicalKey(x)` is always in
 * `matchTokens(x)` for an episode, and `movie:` + `canonicalKey(x)` for a movie.
 * Order: the canonical priority (imdb, tmdb, tvdb), coordinate tokens before own-id tokens.
 */
export function matchTokens(item: ItemIdentity): string[] {
  const tokens: string[] = [];
  if (item.type === 'movie') {
    const ids = cleanIds(item.ids);
    for (const kind of ID_KINDS) {
      const v = ids[kind];
      if (v !== undefined) tokens.push(`movie:${kind}:${v}`);
    }
    return tokens;
  }
  const coords = coordinates(item);
  if (coords !== undefined) {
    const show = cleanIds(item.show?.ids);
    for (const kind of ID_KINDS) {
      const v = show[kind];
      if (v !== undefined) tokens.push(`${kind}:${v}${coords}`);
    }
  }
  const own = ownEpisodeIds(item);
  for (const kind of ID_KINDS) {
    const v = own[kind];
    if (v !== undefined) tokens.push(`episode:${kind}:${v}`);
  }
  return tokens;
}

/** Key for an item without external ids: valid only for the provider it was read from. */
export function refKey(ref: NativeRef): string {
  return `ref:${ref.provider}:${ref.id}`;
}

/** Just the identity of a record (what names the item on any server). */
export function identityOf(r: ItemIdentity): ItemIdentity {
  return {
    type: r.type,
    ids: r.ids,
    title: r.title,
    ...(r.year !== undefined ? { year: r.year } : {}),
    ...(r.show ? { show: r.show } : {}),
    ...(r.season !== undefined ? { season: r.season } : {}),
    ...(r.episode !== undefined ? { episode: r.episode } : {}),
  };
}
