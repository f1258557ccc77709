// The browsing routes third-party clients call beyond what Playhead reads: the library root,
// On Deck, Recently Added, a section's hubs and the hub search (python-plexapi's
// `library.sections()`, `onDeck()`, `recentlyAdded()`, `LibrarySection.hubs()`, `search()`).
// Every list is built from an index (the user's touched items, the recently-added order), never
// by filtering the whole library, except the title search, which must read every title.
import type { PlexAccount, PlexItem, PlexItemType, PlexSection } from './data.ts';
import type { PlexNode } from './encode.ts';
import type { PlexEnv } from './env.ts';
import { container, listReply, renderRows, rowOptions, rowRenderer } from './listing.ts';
import { QueryError } from './query.ts';
import { LIBRARY_IDENTIFIER, MEDIA_TAG_PREFIX, MEDIA_TAG_VERSION, sectionContainerAttrs } from './render.ts';
import { containerReply, htmlStatus, type PlexRequest, type Reply } from './reply.ts';

const LIBRARY_ATTRS = { identifier: LIBRARY_IDENTIFIER, mediaTagPrefix: MEDIA_TAG_PREFIX, mediaTagVersion: MEDIA_TAG_VERSION };

/** `GET /library`: the three directories PMS lists at the library root. */
export function libraryRoot(request: PlexRequest): Reply {
  const directories: Array<[string, string]> = [
    ['sections', 'Library Sections'],
    ['recentlyAdded', 'Recently Added Content'],
    ['onDeck', 'On Deck Content'],
  ];
  return containerReply(
    request,
    container(
      { size: directories.length, allowSync: false, art: '/:/resources/library-art.png', content: '', ...LIBRARY_ATTRS, title1: 'Plex Library', title2: '' },
      directories.map(([key, title]) => ({ tag: 'Directory', attrs: { key, title } })),
    ),
  );
}

function lastViewed(env: PlexEnv, account: PlexAccount, item: PlexItem): number {
  return env.library.userState(account.id, item.ratingKey).lastViewedAt ?? 0;
}

/** This user's started movies and episodes, most recently watched first (Continue Watching). */
export function inProgress(env: PlexEnv, account: PlexAccount, sectionId?: string): PlexItem[] {
  return env.library
    .inProgressLeaves(account.id)
    .filter((item) => sectionId === undefined || item.sectionId === sectionId)
    .sort((a, b) => lastViewed(env, account, b) - lastViewed(env, account, a));
}

/**
 * On Deck: the started movies and episodes, plus, for every show the user has watched an episode
 * of and has none in progress, the episode after the most recently watched one (if any is
 * left). Newest activity first; a next episode ranks by its show's last view.
 */
function onDeckItems(env: PlexEnv, account: PlexAccount, sectionId?: string): PlexItem[] {
  const started = inProgress(env, account, sectionId);
  const activity = new Map<PlexItem, number>(started.map((item) => [item, lastViewed(env, account, item)]));
  const showsInProgress = new Set(started.map((item) => item.grandparentRatingKey).filter((key) => key !== undefined));
  // Per show, the most recently watched episode.
  const lastWatched = new Map<string, PlexItem>();
  for (const item of env.library.touchedItems(account.id)) {
    const show = item.grandparentRatingKey;
    if (item.type !== 'episode' || show === undefined || showsInProgress.has(show)) continue;
    if (sectionId !== undefined && item.sectionId !== sectionId) continue;
    if (!env.library.userState(account.id, item.ratingKey).viewCount) continue;
    const previous = lastWatched.get(show);
    if (!previous || lastViewed(env, account, item) >= lastViewed(env, account, previous)) lastWatched.set(show, item);
  }
  for (const [showKey, watched] of lastWatched) {
    const show = env.library.item(showKey);
    if (!show) continue;
    const episodes = env.library.leaves(show);
    const next = episodes.slice(episodes.indexOf(watched) + 1).find((e) => !env.library.userState(account.id, e.ratingKey).viewCount);
    if (next) activity.set(next, lastViewed(env, account, watched));
  }
  return [...activity.entries()].sort((a, b) => b[1] - a[1]).map(([item]) => item);
}

function sectionFromParam(env: PlexEnv, id: string | undefined): PlexSection | undefined {
  return id === undefined ? undefined : env.library.section(id);
}

/** `GET /library/onDeck` and `GET /library/sections/{id}/onDeck`. */
export function onDeck(request: PlexRequest, env: PlexEnv, account: PlexAccount, [sectionId]: string[]): Reply {
  const section = sectionFromParam(env, sectionId);
  if (sectionId !== undefined && !section) return htmlStatus(404);
  const items = onDeckItems(env, account, section?.key);
  const attrs = section
    ? { ...sectionContainerAttrs(section), title1: section.title, title2: 'On Deck' }
    : { allowSync: false, ...LIBRARY_ATTRS, mixedParents: true, title1: 'On Deck' };
  return listReply(request, items, rowRenderer(env, rowOptions(request, account, true)), attrs);
}

/** Movies and seasons, newest first: PMS groups new episodes under their season here. */
function recentlyAddedItems(env: PlexEnv, sectionId?: string): PlexItem[] {
  const all = env.library.recentlyAdded();
  return sectionId === undefined ? all : all.filter((item) => item.sectionId === sectionId);
}

/** `GET /library/recentlyAdded` and `GET /library/sections/{id}/recentlyAdded`. */
export function recentlyAdded(request: PlexRequest, env: PlexEnv, account: PlexAccount, [sectionId]: string[]): Reply {
  const section = sectionFromParam(env, sectionId);
  if (sectionId !== undefined && !section) return htmlStatus(404);
  const items = recentlyAddedItems(env, section?.key);
  const attrs = section
    ? { ...sectionContainerAttrs(section), title1: section.title, title2: 'Recently Added' }
    : { allowSync: false, ...LIBRARY_ATTRS, mixedParents: true, title1: 'Recently Added' };
  return listReply(request, items, rowRenderer(env, rowOptions(request, account, true)), attrs);
}

function countParam(request: PlexRequest, name: string, fallback: number): number {
  const raw = request.params.get(name);
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw)) throw new QueryError(`${name} must be a non-negative integer, got "${raw}"`);
  return Number(raw);
}

interface HubSpec {
  title: string;
  type: string;
  hubIdentifier: string;
  context: string;
  key: string;
  items: PlexItem[];
  promoted?: boolean;
}

function hubNode(hub: HubSpec, count: number, env: PlexEnv, request: PlexRequest, account: PlexAccount): PlexNode {
  const shown = hub.items.slice(0, count);
  return {
    tag: 'Hub',
    attrs: {
      hubKey: shown.length > 0 ? `/library/metadata/${shown.map((item) => item.ratingKey).join(',')}` : undefined,
      key: hub.key,
      title: hub.title,
      type: hub.type,
      hubIdentifier: hub.hubIdentifier,
      context: hub.context,
      size: shown.length,
      more: hub.items.length > shown.length,
      style: 'shelf',
      promoted: hub.promoted,
    },
    children: renderRows(shown, env, rowOptions(request, account, true)),
  };
}

/** Items per hub when the client gives no `count` (an emulator choice; PMS varies it by client). */
const DEFAULT_HUB_COUNT = 10;

/**
 * `GET /hubs/sections/{id}`: Continue Watching and Recently Added for every section, and On Deck
 * for show sections, with PMS's identifiers (`movie.inprogress.1`, `tv.ondeck.2`…).
 */
export function sectionHubs(request: PlexRequest, env: PlexEnv, account: PlexAccount, [sectionId]: string[]): Reply {
  const section = sectionFromParam(env, sectionId);
  if (!section) return htmlStatus(404);
  const count = countParam(request, 'count', DEFAULT_HUB_COUNT);
  const prefix = section.type === 'movie' ? 'movie' : 'tv';
  const hubs: HubSpec[] = [
    {
      title: 'Continue Watching',
      type: section.type === 'movie' ? 'movie' : 'episode',
      hubIdentifier: `${prefix}.inprogress.${section.key}`,
      context: `hub.${prefix}.inprogress`,
      key: `/hubs/sections/${section.key}/continueWatching/items`,
      items: inProgress(env, account, section.key),
    },
  ];
  if (section.type === 'show') {
    hubs.push({
      title: 'On Deck',
      type: 'episode',
      hubIdentifier: `tv.ondeck.${section.key}`,
      context: 'hub.tv.ondeck',
      key: `/library/sections/${section.key}/onDeck`,
      items: onDeckItems(env, account, section.key),
    });
  }
  hubs.push({
    title: `Recently Added in ${section.title}`,
    type: section.type === 'movie' ? 'movie' : 'season',
    hubIdentifier: `${prefix}.recentlyadded.${section.key}`,
    context: `hub.${prefix}.recentlyadded`,
    key: `/library/sections/${section.key}/recentlyAdded`,
    items: recentlyAddedItems(env, section.key),
    promoted: true,
  });
  const { allowSync, identifier, librarySectionID, librarySectionTitle, librarySectionUUID } = sectionContainerAttrs(section);
  return containerReply(
    request,
    container(
      { size: hubs.length, allowSync, identifier, librarySectionID, librarySectionTitle, librarySectionUUID },
      hubs.map((hub) => hubNode(hub, count, env, request, account)),
    ),
  );
}

const SEARCH_HUBS: Array<{ type: PlexItemType; title: string }> = [
  { type: 'movie', title: 'Movies' },
  { type: 'show', title: 'Shows' },
  { type: 'season', title: 'Seasons' },
  { type: 'episode', title: 'Episodes' },
];

/** Exact title first, then titles starting with the query, then the rest; ratingKey order within. */
function relevance(title: string, query: string): number {
  if (title === query) return 0;
  return title.startsWith(query) ? 1 : 2;
}

/**
 * `GET /hubs/search?query=&limit=&sectionId=`: one hub per type (movies, shows, seasons,
 * episodes), each with up to `limit` items (3 by default, as the spec says) whose title contains
 * the query, case-insensitively. `sectionId` keeps the search to that section.
 */
export function hubSearch(request: PlexRequest, env: PlexEnv, account: PlexAccount): Reply {
  const raw = request.params.get('query');
  if (raw === null || raw.trim() === '') return htmlStatus(400);
  const query = raw.trim().toLowerCase();
  const limit = countParam(request, 'limit', 3);
  const sectionId = request.params.get('sectionId') ?? undefined;
  if (sectionId !== undefined && !env.library.section(sectionId)) return htmlStatus(404);
  const found = new Map<PlexItemType, Array<{ item: PlexItem; rank: number }>>();
  for (const item of env.library.titleMatches(query)) {
    if (sectionId !== undefined && item.sectionId !== sectionId) continue;
    const list = found.get(item.type) ?? [];
    list.push({ item, rank: relevance(item.title.toLowerCase(), query) });
    found.set(item.type, list);
  }
  const hubs = SEARCH_HUBS.map(({ type, title }) => {
    const matches = (found.get(type) ?? []).sort((a, b) => a.rank - b.rank).map((entry) => entry.item);
    const hub: HubSpec = { title, type, hubIdentifier: type, context: `hub.${type}`, key: `/hubs/search?query=${encodeURIComponent(raw)}`, items: matches };
    return hubNode(hub, limit, env, request, account);
  });
  return containerReply(request, container({ size: hubs.length }, hubs));
}
