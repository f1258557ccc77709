// `GET /status/sessions/history/all`: the play history PMS keeps, one row per view. Rows are
// written by /:/scrobble and by timeline stops past the played threshold (playback.ts). A user
// sees their own plays; the owner sees everyone's, told apart by `accountID`. Filters and sort
// are the ones python-plexapi's `history()` sends: `accountID`, `librarySectionID`,
// `metadataItemID` (the item, or a season/show above it), `viewedAt` with an operator
// (`viewedAt>=` arrives as key `viewedAt>`), `sort=viewedAt:desc`, and paging.
import type { PlexAccount, PlexHistoryEntry, PlexItem } from './data.ts';
import type { PlexNode } from './encode.ts';
import { isOwner, type PlexEnv } from './env.ts';
import { listReply } from './listing.ts';
import { QueryError } from './query.ts';
import type { PlexRequest, Reply } from './reply.ts';

type Predicate = (entry: PlexHistoryEntry, item: PlexItem | undefined) => boolean;

function integer(name: string, raw: string): number {
  if (!/^-?\d+$/.test(raw)) throw new QueryError(`${name}: "${raw}" is not an integer`);
  return Number(raw);
}

const VIEWED_AT_OPERATORS: Record<string, (actual: number, expected: number) => boolean> = {
  '': (a, e) => a === e,
  '!': (a, e) => a !== e,
  '>': (a, e) => a >= e,
  '<': (a, e) => a <= e,
  '>>': (a, e) => a > e,
  '<<': (a, e) => a < e,
};

function filterFor(key: string, value: string): Predicate | undefined {
  if (key === 'accountID') {
    const id = integer(key, value);
    return (entry) => entry.accountId === id;
  }
  if (key === 'librarySectionID') return (_entry, item) => item?.sectionId === value;
  if (key === 'metadataItemID') {
    return (entry, item) => entry.ratingKey === value || item?.parentRatingKey === value || item?.grandparentRatingKey === value;
  }
  const viewedAt = /^viewedAt([!<>]*)$/.exec(key);
  if (viewedAt) {
    const compare = VIEWED_AT_OPERATORS[viewedAt[1] as string];
    if (!compare) throw new QueryError(`filter ${key}: unknown operator`);
    const expected = integer(key, value);
    return (entry) => compare(entry.viewedAt, expected);
  }
  if (key === 'sort' || key.startsWith('X-Plex-')) return undefined;
  throw new QueryError(`unknown history filter "${key}"`);
}

type SortField = (entry: PlexHistoryEntry) => number | string;
const SORT_FIELDS: Record<string, SortField> = {
  viewedAt: (entry) => entry.viewedAt,
  accountID: (entry) => entry.accountId,
  metadataItemID: (entry) => Number(entry.ratingKey),
  id: (entry) => entry.id,
};

function sortFor(raw: string | null): Array<{ field: SortField; descending: boolean }> {
  if (!raw) return [];
  return raw.split(',').map((part) => {
    const [name = '', direction] = part.split(':');
    const field = SORT_FIELDS[name];
    if (!field || (direction !== undefined && direction !== 'asc' && direction !== 'desc')) throw new QueryError(`history cannot sort by "${part}"`);
    return { field, descending: direction === 'desc' };
  });
}

function historyRow(entry: PlexHistoryEntry, item: PlexItem | undefined, env: PlexEnv): PlexNode {
  const parent = item?.parentRatingKey === undefined ? undefined : env.library.item(item.parentRatingKey);
  const grandparent = item?.grandparentRatingKey === undefined ? undefined : env.library.item(item.grandparentRatingKey);
  const thumb = (of: PlexItem | undefined) => (of ? `/library/metadata/${of.ratingKey}/thumb/${of.updatedAt}` : undefined);
  return {
    tag: 'Video',
    jsonKey: 'Metadata',
    attrs: {
      historyKey: `/status/sessions/history/${entry.id}`,
      key: `/library/metadata/${entry.ratingKey}`,
      ratingKey: entry.ratingKey,
      librarySectionID: item?.sectionId,
      parentKey: parent ? `/library/metadata/${parent.ratingKey}` : undefined,
      grandparentKey: grandparent ? `/library/metadata/${grandparent.ratingKey}` : undefined,
      title: item?.title,
      grandparentTitle: grandparent?.title,
      type: item?.type,
      thumb: thumb(item),
      parentThumb: thumb(parent),
      grandparentThumb: thumb(grandparent),
      index: item?.type === 'episode' ? item.index : undefined,
      parentIndex: item?.type === 'episode' ? item.parentIndex : undefined,
      originallyAvailableAt: item?.originallyAvailableAt,
      viewedAt: entry.viewedAt,
      accountID: entry.accountId,
      deviceID: entry.deviceId,
    },
  };
}

export function playHistory(request: PlexRequest, env: PlexEnv, account: PlexAccount): Reply {
  const predicates = [...request.params].map(([key, value]) => filterFor(key, value)).filter((p) => p !== undefined);
  const sort = sortFor(request.params.get('sort'));
  const seeEveryone = isOwner(account, env.data());
  const rows: Array<{ entry: PlexHistoryEntry; item: PlexItem | undefined }> = [];
  for (const entry of env.data().history) {
    if (!seeEveryone && entry.accountId !== account.id) continue;
    const item = env.library.item(entry.ratingKey);
    if (predicates.every((matches) => matches(entry, item))) rows.push({ entry, item });
  }
  if (sort.length > 0) {
    rows.sort((a, b) => {
      for (const { field, descending } of sort) {
        const x = field(a.entry);
        const y = field(b.entry);
        if (x !== y) return (x < y ? -1 : 1) * (descending ? -1 : 1);
      }
      return a.entry.id - b.entry.id;
    });
  }
  return listReply(request, rows, ({ entry, item }) => historyRow(entry, item, env), {});
}
