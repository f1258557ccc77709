// The subset of Plex "media queries" the emulator understands (protocols.md §1.4):
//   type=1|2|3|4 (comma = several), integer/date filters with the operator written into the key
//   (`viewOffset>>=0` arrives as key `viewOffset>>`, value `0`), string filters (`title=` contains,
//   `title==` is, `title!=` does not contain, `title<=` begins with, `title>=` ends with; the
//   operator minus its last `=` is in the key, as python-plexapi encodes it), unwatched=0|1,
//   inProgress=0|1, guid= (primary guid only), sort=field[:asc|:desc], limit=, includeGuids=1,
//   plus paging. An unknown filter field answers 400, as PMS does; response-shaping hints
//   (include*/exclude*, checkFiles…) are accepted and ignored.
import type { PlexItem, PlexItemType } from './data.ts';
import { compareRatingKeys, type Library } from './library.ts';

const TYPE_NUMBERS: Record<PlexItemType, number> = { movie: 1, show: 2, season: 3, episode: 4 };
const TYPES_BY_NUMBER = new Map<number, PlexItemType>(Object.entries(TYPE_NUMBERS).map(([type, n]) => [n, type as PlexItemType]));

type NumericField = 'viewOffset' | 'viewCount' | 'lastViewedAt' | 'addedAt' | 'updatedAt' | 'year' | 'duration' | 'index';
const NUMERIC_FIELDS = new Set<string>(['viewOffset', 'viewCount', 'lastViewedAt', 'addedAt', 'updatedAt', 'year', 'duration', 'index']);
const DATE_FIELDS = new Set<string>(['lastViewedAt', 'addedAt', 'updatedAt']);
const BOOLEAN_FIELDS = new Set<string>(['unwatched', 'inProgress']);
type StringField = 'title' | 'originalTitle' | 'studio' | 'contentRating';
const STRING_FIELDS = new Set<string>(['title', 'originalTitle', 'studio', 'contentRating']);

/**
 * Parameters that shape the response rather than filter it: accepted and ignored. `libtype` and
 * `maxresults` are python-plexapi keyword names that @ctrl/plex's search() forwards verbatim.
 */
const IGNORED_PARAMS = new Set<string>([
  'type',
  'sort',
  'limit',
  'libtype',
  'maxresults',
  'checkFiles',
  'asyncAugmentMetadata',
  'asyncCheckFiles',
  'asyncRefreshLocalMediaAgent',
  'asyncRefreshAnalysis',
]);
const IGNORED_PREFIXES = ['X-Plex-', 'include', 'exclude'];

// Operator suffix on the key → comparison. `>>=` is "greater than", `>=` "at least", etc.
type Operator = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le';
const OPERATOR_SUFFIXES: Record<string, Operator> = { '': 'eq', '!': 'ne', '>>': 'gt', '<<': 'lt', '>': 'ge', '<': 'le' };

// String operators, by the key suffix left once the value's `=` is split off.
type StringOperator = 'contains' | 'notContains' | 'is' | 'isNot' | 'beginsWith' | 'endsWith';
const STRING_SUFFIXES: Record<string, StringOperator> = { '': 'contains', '!': 'notContains', '=': 'is', '!=': 'isNot', '<': 'beginsWith', '>': 'endsWith' };

type Filter =
  | { kind: 'numeric'; field: NumericField; op: Operator; values: number[] }
  | { kind: 'boolean'; field: 'unwatched' | 'inProgress'; value: boolean }
  | { kind: 'string'; field: StringField; op: StringOperator; values: string[] }
  | { kind: 'guid'; values: string[] };

interface SortKey {
  field: string;
  descending: boolean;
}

export interface MediaQuery {
  /** undefined = the endpoint's default types. */
  types: Set<PlexItemType> | undefined;
  filters: Filter[];
  sort: SortKey[];
  limit: number | undefined;
  includeGuids: boolean;
}

export class QueryError extends Error {}

/** `<type>.<field><op>` → parts; the type prefix scopes a field to one hierarchy level. */
function splitKey(key: string): { scope?: string; field: string; suffix: string } | undefined {
  const match = /^(?:([a-z]+)\.)?([A-Za-z]+)([!<>=]*)$/.exec(key);
  if (!match) return undefined;
  const scope = match[1];
  return { ...(scope !== undefined ? { scope } : {}), field: match[2] as string, suffix: match[3] as string };
}

const RELATIVE_UNITS: Record<string, number> = { m: 60, h: 3600, d: 86_400, w: 604_800, mon: 2_592_000, y: 31_536_000 };

function parseNumber(field: string, raw: string, nowSeconds: number): number {
  if (/^-?\d+$/.test(raw)) return Number(raw);
  // Dates also accept relative values: -3d means "3 days ago", +1w "in a week".
  const relative = /^([+-])(\d+)(mon|[mhdwy])$/.exec(raw);
  if (relative && DATE_FIELDS.has(field)) {
    const seconds = Number(relative[2]) * (RELATIVE_UNITS[relative[3] as string] ?? 0);
    return relative[1] === '-' ? nowSeconds - seconds : nowSeconds + seconds;
  }
  throw new QueryError(`filter ${field}: "${raw}" is not an integer`);
}

function parseTypes(raw: string | null): Set<PlexItemType> | undefined {
  if (raw === null || raw === '') return undefined;
  const types = new Set<PlexItemType>();
  for (const part of raw.split(',')) {
    const type = TYPES_BY_NUMBER.get(Number(part));
    if (!type) throw new QueryError(`type=${part} is not a type this emulator serves (1 movie, 2 show, 3 season, 4 episode)`);
    types.add(type);
  }
  return types;
}

function parseSort(raw: string | null): SortKey[] {
  if (!raw) return [];
  return raw.split(',').map((part) => {
    const [fieldWithScope = '', ...modifiers] = part.split(':');
    const field = fieldWithScope.includes('.') ? fieldWithScope.slice(fieldWithScope.indexOf('.') + 1) : fieldWithScope;
    return { field, descending: modifiers.includes('desc') };
  });
}

function isIgnoredParam(key: string): boolean {
  return IGNORED_PARAMS.has(key) || IGNORED_PREFIXES.some((prefix) => key.startsWith(prefix));
}

function parseFilter(key: string, value: string, types: Set<PlexItemType> | undefined, nowSeconds: number): Filter | undefined {
  if (key === 'guid') return { kind: 'guid', values: value.split(',') };
  const parts = splitKey(key);
  const known = parts !== undefined && (NUMERIC_FIELDS.has(parts.field) || BOOLEAN_FIELDS.has(parts.field) || STRING_FIELDS.has(parts.field));
  if (!parts || !known) throw new QueryError(`unknown filter field "${key}"`);
  // A scope naming another level (show.viewCount on an episode query) is not modelled: ignore it.
  if (parts.scope !== undefined && !(types?.has(parts.scope as PlexItemType) ?? false)) return undefined;
  if (STRING_FIELDS.has(parts.field)) {
    const stringOp = STRING_SUFFIXES[parts.suffix];
    if (stringOp === undefined) throw new QueryError(`filter ${key}: unknown operator "${parts.suffix}"`);
    // Matching is case-insensitive, as PMS's is; comma-separated values are OR-ed.
    return { kind: 'string', field: parts.field as StringField, op: stringOp, values: value.split(',').map((v) => v.toLowerCase()) };
  }
  const op = OPERATOR_SUFFIXES[parts.suffix];
  if (op === undefined) throw new QueryError(`filter ${key}: unknown operator "${parts.suffix}"`);
  if (BOOLEAN_FIELDS.has(parts.field)) {
    if (value !== '0' && value !== '1') throw new QueryError(`filter ${key}: expected 0 or 1, got "${value}"`);
    const truth = (value === '1') === (op === 'eq');
    return { kind: 'boolean', field: parts.field as 'unwatched' | 'inProgress', value: truth };
  }
  const values = value.split(',').map((v) => parseNumber(parts.field, v, nowSeconds));
  return { kind: 'numeric', field: parts.field as NumericField, op, values };
}

export function parseMediaQuery(params: URLSearchParams, nowSeconds: number): MediaQuery {
  const types = parseTypes(params.get('type'));
  const filters: Filter[] = [];
  for (const [key, value] of params) {
    if (isIgnoredParam(key)) continue;
    const filter = parseFilter(key, value, types, nowSeconds);
    if (filter) filters.push(filter);
  }
  const limitRaw = params.get('limit');
  let limit: number | undefined;
  if (limitRaw !== null) {
    if (!/^\d+$/.test(limitRaw)) throw new QueryError(`limit must be a non-negative integer, got "${limitRaw}"`);
    limit = Number(limitRaw);
  }
  return { types, filters, sort: parseSort(params.get('sort')), limit, includeGuids: params.get('includeGuids') === '1' };
}

function compare(op: Operator, actual: number, expected: number): boolean {
  switch (op) {
    case 'eq':
      return actual === expected;
    case 'ne':
      return actual !== expected;
    case 'gt':
      return actual > expected;
    case 'lt':
      return actual < expected;
    case 'ge':
      return actual >= expected;
    case 'le':
      return actual <= expected;
  }
}

/** The value a numeric filter or sort sees; absent user state counts as 0, like Plex. */
function numericValue(field: string, item: PlexItem, library: Library, accountId: number): number | undefined {
  switch (field) {
    case 'viewOffset':
    case 'viewCount':
    case 'lastViewedAt':
      return library.viewState(accountId, item)[field];
    case 'addedAt':
      return item.addedAt;
    case 'updatedAt':
      return item.updatedAt;
    case 'year':
      return item.year;
    case 'duration':
      return item.durationMs;
    case 'index':
      return item.index;
    case 'ratingKey':
      return Number(item.ratingKey);
    default:
      return undefined;
  }
}

function matchesBoolean(field: 'unwatched' | 'inProgress', item: PlexItem, library: Library, accountId: number): boolean {
  const state = library.viewState(accountId, item);
  if (field === 'unwatched') {
    return state.leafCount === undefined ? state.viewCount === 0 : (state.viewedLeafCount ?? 0) < state.leafCount;
  }
  // A show or season is "in progress" when it is partly watched or has a started episode.
  if (state.leafCount === undefined) return state.viewOffset > 0;
  const viewed = state.viewedLeafCount ?? 0;
  return (state.startedLeafCount ?? 0) > 0 || (viewed > 0 && viewed < state.leafCount);
}

function matchesString(op: StringOperator, actual: string, expected: string): boolean {
  switch (op) {
    case 'contains':
      return actual.includes(expected);
    case 'notContains':
      return !actual.includes(expected);
    case 'is':
      return actual === expected;
    case 'isNot':
      return actual !== expected;
    case 'beginsWith':
      return actual.startsWith(expected);
    case 'endsWith':
      return actual.endsWith(expected);
  }
}

function matches(filter: Filter, item: PlexItem, library: Library, accountId: number): boolean {
  switch (filter.kind) {
    case 'guid':
      return filter.values.includes(item.guid);
    case 'string': {
      const actual = (item[filter.field] ?? '').toLowerCase();
      const negative = filter.op === 'notContains' || filter.op === 'isNot';
      return negative ? filter.values.every((v) => matchesString(filter.op, actual, v)) : filter.values.some((v) => matchesString(filter.op, actual, v));
    }
    case 'boolean':
      return matchesBoolean(filter.field, item, library, accountId) === filter.value;
    case 'numeric': {
      const actual = numericValue(filter.field, item, library, accountId) ?? 0;
      // Comma-separated values are OR-ed; for != every value must differ.
      return filter.op === 'ne' ? filter.values.every((v) => actual !== v) : filter.values.some((v) => compare(filter.op, actual, v));
    }
  }
}

/** Leading articles are ignored when Plex sorts by title. */
export function derivedTitleSort(item: PlexItem): string {
  return item.titleSort ?? item.title.replace(/^(the|a|an)\s+/i, '');
}

// Sort fields this emulator knows; other sort fields are ignored (default order applies).
const SORT_FIELDS = new Set<string>(['titleSort', 'title', 'originallyAvailableAt', 'ratingKey', 'rating', 'audienceRating', ...NUMERIC_FIELDS]);

function sortValue(field: string, item: PlexItem, library: Library, accountId: number): string | number | undefined {
  if (field === 'titleSort' || field === 'title') return derivedTitleSort(item).toLowerCase();
  if (field === 'originallyAvailableAt') return item.originallyAvailableAt;
  if (field === 'rating' || field === 'audienceRating') return item[field];
  return numericValue(field, item, library, accountId);
}

function compareValues(a: string | number | undefined, b: string | number | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1; // missing values last
  if (b === undefined) return -1;
  return a < b ? -1 : 1;
}

/**
 * True when no item without this user's own state can pass the filter (`viewOffset>>=0`,
 * `viewCount>=1`, `inProgress=1`…): on movies and episodes such a query can start from the
 * items the user has touched instead of the whole section.
 */
function needsOwnState(filter: Filter): boolean {
  if (filter.kind === 'boolean') return filter.field === 'inProgress' && filter.value;
  if (filter.kind !== 'numeric' || !USER_FIELDS.has(filter.field)) return false;
  // Absent state reads as 0: the filter must reject 0 for every value.
  return filter.op === 'ne' ? filter.values.includes(0) : !filter.values.some((v) => compare(filter.op, 0, v));
}

const USER_FIELDS = new Set<string>(['viewOffset', 'viewCount', 'lastViewedAt']);
const LEAF_TYPES = new Set<PlexItemType>(['movie', 'episode']);

/**
 * The smallest candidate list an index gives for this query, in ratingKey order; `exact` when it
 * holds just the items of the requested section and types (a shared index array: never mutate).
 */
function candidates(
  query: MediaQuery,
  types: Set<PlexItemType>,
  sectionId: string | undefined,
  library: Library,
  accountId: number,
): { items: readonly PlexItem[]; exact: boolean } {
  const guid = query.filters.find((f) => f.kind === 'guid');
  if (guid) return { items: library.itemsWithGuid(guid.values), exact: false };
  if ([...types].every((t) => LEAF_TYPES.has(t)) && query.filters.some(needsOwnState)) return { items: library.touchedItems(accountId), exact: false };
  return { items: library.sectionItems(sectionId, types), exact: true };
}

/** Filter, sort and limit the items of one section (or, without sectionId, of the library). */
export function runMediaQuery(
  query: MediaQuery,
  sectionId: string | undefined,
  defaultTypes: Set<PlexItemType>,
  library: Library,
  accountId: number,
): readonly PlexItem[] {
  const types = query.types ?? defaultTypes;
  const { items: found, exact } = candidates(query, types, sectionId, library, accountId);
  let result = found;
  // An index list that is exactly the section's items of these types needs no pass at all.
  if (!exact || query.filters.length > 0) {
    const kept: PlexItem[] = [];
    for (const item of found) {
      if (!types.has(item.type) || (sectionId !== undefined && item.sectionId !== sectionId)) continue;
      if (query.filters.every((f) => matches(f, item, library, accountId))) kept.push(item);
    }
    result = kept;
  }
  const sort = query.sort.filter((key) => SORT_FIELDS.has(key.field));
  if (sort.length > 0) {
    // Sort keys are computed once per item: user-state fields cost a lookup each.
    const keyed = result.map((item) => ({ item, keys: sort.map((key) => sortValue(key.field, item, library, accountId)) }));
    keyed.sort((a, b) => {
      for (const [i, key] of sort.entries()) {
        const order = compareValues(a.keys[i], b.keys[i]);
        if (order !== 0) return key.descending ? -order : order;
      }
      return compareRatingKeys(a.item.ratingKey, b.item.ratingKey);
    });
    result = keyed.map((entry) => entry.item);
  }
  if (query.limit !== undefined) result = result.slice(0, query.limit);
  return result;
}

export interface Paging {
  start: number;
  size: number | undefined;
  /** The client asked for a page (header or query); only then the body carries offset/totalSize. */
  requested: boolean;
}

/** X-Plex-Container-Start/Size from the query string or the headers (query wins). */
export function readPaging(params: URLSearchParams, header: (name: string) => string | undefined): Paging {
  const read = (name: string) => params.get(name) ?? header(name);
  const startRaw = read('X-Plex-Container-Start');
  const sizeRaw = read('X-Plex-Container-Size');
  const asCount = (raw: string | undefined | null) => (raw != null && /^\d+$/.test(raw) ? Number(raw) : undefined);
  return {
    start: asCount(startRaw) ?? 0,
    size: asCount(sizeRaw),
    requested: startRaw != null || sizeRaw != null,
  };
}
