// The "match" side of the metadata agents, as far as clients use it to look items up:
// `GET /system/agents` (which agents exist, per media type) and
// `GET /library/metadata/{id}/matches` (candidate metadata for an item). python-plexapi's
// `LibrarySection.getGuid('imdb://tt…')` relies on both: it asks the agent to match the title
// `imdb-tt…` (Plex's agents read `<scheme>-<id>` as an external-id lookup), then searches the
// section for the `plex://` guid it got back. The emulator has no online catalogue: candidates
// come from its own library, which is what the lookup needs (an item not in the library is not
// found either way).
import type { PlexItem, PlexItemType } from './data.ts';
import type { PlexNode } from './encode.ts';
import type { PlexEnv } from './env.ts';
import { container } from './listing.ts';
import { containerReply, htmlStatus, type PlexRequest, type Reply } from './reply.ts';

interface Agent {
  identifier: string;
  name: string;
  mediaTypes: number[];
  primary: boolean;
}

/** The agents a current PMS lists for movies and shows (new Plex agents first, then legacy). */
const AGENTS: Agent[] = [
  { identifier: 'tv.plex.agents.movie', name: 'Plex Movie', mediaTypes: [1], primary: true },
  { identifier: 'tv.plex.agents.series', name: 'Plex TV Series', mediaTypes: [2, 3, 4], primary: true },
  { identifier: 'com.plexapp.agents.imdb', name: 'Plex Movie (Legacy)', mediaTypes: [1], primary: true },
  { identifier: 'com.plexapp.agents.themoviedb', name: 'The Movie Database', mediaTypes: [1, 2, 3, 4], primary: true },
  { identifier: 'com.plexapp.agents.thetvdb', name: 'TheTVDB', mediaTypes: [2, 3, 4], primary: true },
  { identifier: 'com.plexapp.agents.none', name: 'Personal Media', mediaTypes: [1, 2, 3, 4], primary: true },
];

const MEDIA_TYPE_NAMES: Record<number, string> = { 1: 'movie', 2: 'show', 3: 'season', 4: 'episode' };

/** `GET /system/agents[?mediaType=N]`. */
export function systemAgents(request: PlexRequest): Reply {
  const raw = request.params.get('mediaType');
  if (raw !== null && !/^\d+$/.test(raw)) return htmlStatus(400);
  const mediaType = raw === null ? undefined : Number(raw);
  const agents = AGENTS.filter((agent) => mediaType === undefined || agent.mediaTypes.includes(mediaType));
  const rows: PlexNode[] = agents.map((agent) => ({
    tag: 'Agent',
    attrs: { hasAttribution: agent.identifier.startsWith('tv.plex.'), hasPrefs: true, identifier: agent.identifier, primary: agent.primary, name: agent.name },
    children: agent.mediaTypes.map((type) => ({ tag: 'MediaType', attrs: { mediaType: type, name: MEDIA_TYPE_NAMES[type] } })),
  }));
  return containerReply(request, container({ size: rows.length }, rows));
}

/** `imdb-tt0944947` → `imdb://tt0944947`: the external-id form Plex's agents accept as a title. */
function externalIdFromTitle(title: string): string | undefined {
  const match = /^(imdb|tmdb|tvdb)-(\S+)$/i.exec(title.trim());
  return match ? `${(match[1] as string).toLowerCase()}://${match[2]}` : undefined;
}

function candidates(env: PlexEnv, type: PlexItemType, title: string, year: number | undefined): Array<{ item: PlexItem; score: number }> {
  const externalId = externalIdFromTitle(title);
  if (externalId !== undefined) {
    return env.library
      .itemsWithExternalId(externalId)
      .filter((item) => item.type === type)
      .map((item) => ({ item, score: 100 }));
  }
  const wanted = title.toLowerCase();
  return env.library
    .titleMatches(wanted)
    .filter((item) => item.type === type)
    .map((item) => {
      const exact = item.title.toLowerCase() === wanted ? 90 : 70;
      return { item, score: exact + (year !== undefined && item.year === year ? 10 : 0) };
    })
    .sort((a, b) => b.score - a.score);
}

/**
 * `GET /library/metadata/{id}/matches?manual=1&title=&year=&agent=&language=`: `SearchResult`
 * rows (guid, name, year, score) for a movie or show. Without `title`, the item's own title and
 * year are matched, as the automatic match does.
 */
export function metadataMatches(request: PlexRequest, env: PlexEnv, _account: unknown, [id]: string[]): Reply {
  const item = env.library.item(id ?? '');
  if (!item) return htmlStatus(404);
  if (item.type !== 'movie' && item.type !== 'show') return htmlStatus(400);
  const title = request.params.get('title') || item.title;
  const yearRaw = request.params.get('year');
  const year = yearRaw && /^\d+$/.test(yearRaw) ? Number(yearRaw) : request.params.has('title') ? undefined : item.year;
  const rows: PlexNode[] = candidates(env, item.type, title, year).map(({ item: match, score }, i) => ({
    tag: 'SearchResult',
    attrs: {
      guid: match.guid,
      name: match.title,
      year: match.year,
      score,
      thumb: `/library/metadata/${match.ratingKey}/thumb/${match.updatedAt}`,
      matched: i === 0 && match.ratingKey === item.ratingKey,
    },
  }));
  return containerReply(request, container({ size: rows.length, identifier: 'com.plexapp.plugins.library' }, rows));
}
