// `includeMeta=1` on a section listing: the `Meta` element that tells a client which types,
// sorts and filter fields the section supports, and which operators each field type takes.
// python-plexapi validates every `LibrarySection.search()` filter and sort against it before
// sending the query (`_loadFilters`), so without it `search(year=…)`, `search(guid=…)`,
// `search(unwatched=True)` or `search(sort=…)` never reach the server. It lists exactly what
// query.ts implements; tag filters (genre, actor…) need choice routes the emulator lacks.
import type { PlexItemType, PlexSection } from './data.ts';
import type { PlexNode } from './encode.ts';

const TYPE_TITLES: Record<PlexItemType, string> = { movie: 'Movies', show: 'TV Shows', season: 'Seasons', episode: 'Episodes' };
const TYPE_NUMBERS: Record<PlexItemType, number> = { movie: 1, show: 2, season: 3, episode: 4 };

type FieldKind = 'string' | 'integer' | 'boolean' | 'date';

/** Filter fields by type: [key, title, kind]. guid, id and updatedAt python-plexapi adds itself. */
const FIELDS: Record<PlexItemType, Array<[string, string, FieldKind]>> = {
  movie: [
    ['title', 'Title', 'string'],
    ['studio', 'Studio', 'string'],
    ['contentRating', 'Content Rating', 'string'],
    ['year', 'Year', 'integer'],
    ['duration', 'Duration', 'integer'],
    ['unwatched', 'Unplayed', 'boolean'],
    ['inProgress', 'In Progress', 'boolean'],
    ['viewCount', 'Plays', 'integer'],
    ['lastViewedAt', 'Last Played', 'date'],
    ['addedAt', 'Date Added', 'date'],
  ],
  show: [
    ['title', 'Title', 'string'],
    ['studio', 'Network', 'string'],
    ['contentRating', 'Content Rating', 'string'],
    ['year', 'Year', 'integer'],
    ['unwatched', 'Unplayed', 'boolean'],
    ['inProgress', 'In Progress', 'boolean'],
    ['viewCount', 'Plays', 'integer'],
    ['lastViewedAt', 'Last Played', 'date'],
    ['addedAt', 'Date Added', 'date'],
  ],
  season: [
    ['title', 'Title', 'string'],
    ['unwatched', 'Unplayed', 'boolean'],
    ['lastViewedAt', 'Last Played', 'date'],
  ],
  episode: [
    ['title', 'Title', 'string'],
    ['year', 'Year', 'integer'],
    ['unwatched', 'Unplayed', 'boolean'],
    ['inProgress', 'In Progress', 'boolean'],
    ['viewCount', 'Plays', 'integer'],
    ['lastViewedAt', 'Last Played', 'date'],
    ['addedAt', 'Date Added', 'date'],
  ],
};

/** Sorts by type: [key, title, default direction]; the first is the section's default order. */
const SORTS: Record<PlexItemType, Array<[string, string, 'asc' | 'desc']>> = {
  movie: [
    ['titleSort', 'Title', 'asc'],
    ['year', 'Year', 'desc'],
    ['originallyAvailableAt', 'Release Date', 'desc'],
    ['rating', 'Critic Rating', 'desc'],
    ['audienceRating', 'Audience Rating', 'desc'],
    ['duration', 'Duration', 'desc'],
    ['addedAt', 'Date Added', 'desc'],
    ['lastViewedAt', 'Date Viewed', 'desc'],
    ['viewCount', 'Plays', 'desc'],
    ['viewOffset', 'Progress', 'desc'],
  ],
  show: [
    ['titleSort', 'Title', 'asc'],
    ['year', 'Year', 'desc'],
    ['originallyAvailableAt', 'Release Date', 'desc'],
    ['rating', 'Critic Rating', 'desc'],
    ['audienceRating', 'Audience Rating', 'desc'],
    ['addedAt', 'Date Added', 'desc'],
    ['lastViewedAt', 'Date Viewed', 'desc'],
  ],
  season: [['index', 'Season', 'asc']],
  episode: [
    ['titleSort', 'Title', 'asc'],
    ['originallyAvailableAt', 'Air Date', 'desc'],
    ['rating', 'Critic Rating', 'desc'],
    ['audienceRating', 'Audience Rating', 'desc'],
    ['duration', 'Duration', 'desc'],
    ['addedAt', 'Date Added', 'desc'],
    ['lastViewedAt', 'Date Viewed', 'desc'],
    ['viewCount', 'Plays', 'desc'],
    ['viewOffset', 'Progress', 'desc'],
  ],
};

/** Operator keys as PMS lists them: the URL form is the key minus its last `=`. */
const OPERATORS: Record<FieldKind, Array<[string, string]>> = {
  string: [
    ['=', 'contains'],
    ['!=', 'does not contain'],
    ['==', 'is'],
    ['!==', 'is not'],
    ['<=', 'begins with'],
    ['>=', 'ends with'],
  ],
  integer: [
    ['=', 'is'],
    ['!=', 'is not'],
    ['>>=', 'is greater than'],
    ['<<=', 'is less than'],
  ],
  boolean: [
    ['=', 'is true'],
    ['!=', 'is false'],
  ],
  date: [
    ['<<=', 'is before'],
    ['>>=', 'is after'],
  ],
};

const SECTION_TYPES: Record<PlexSection['type'], PlexItemType[]> = { movie: ['movie'], show: ['show', 'season', 'episode'] };

function typeNode(section: PlexSection, type: PlexItemType): PlexNode {
  const sorts: PlexNode[] = SORTS[type].map(([key, title, direction], i) => ({
    tag: 'Sort',
    attrs: {
      default: i === 0 ? direction : undefined,
      defaultDirection: direction,
      descKey: `${key}:desc`,
      firstCharacterKey: key === 'titleSort' ? `/library/sections/${section.key}/firstCharacter` : undefined,
      key,
      title,
    },
  }));
  // Show sections name every field with its level (`show.title`, `episode.viewCount`), as PMS
  // does there; movie sections use bare keys.
  const prefix = section.type === 'show' ? `${type}.` : '';
  const fields: PlexNode[] = FIELDS[type].map(([key, title, kind]) => ({ tag: 'Field', attrs: { key: `${prefix}${key}`, title, type: kind } }));
  return {
    tag: 'Type',
    attrs: {
      key: `/library/sections/${section.key}/all?type=${TYPE_NUMBERS[type]}`,
      type,
      title: TYPE_TITLES[type],
      active: type === section.type,
    },
    children: [...sorts, ...fields],
  };
}

export function metaNode(section: PlexSection): PlexNode {
  const fieldTypes: PlexNode[] = (Object.keys(OPERATORS) as FieldKind[]).map((kind) => ({
    tag: 'FieldType',
    attrs: { type: kind },
    children: OPERATORS[kind].map(([key, title]) => ({ tag: 'Operator', attrs: { key, title } })),
  }));
  return { tag: 'Meta', single: true, attrs: {}, children: [...SECTION_TYPES[section.type].map((type) => typeNode(section, type)), ...fieldTypes] };
}
