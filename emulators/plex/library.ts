// Read-side helpers over PlexEmulatorData: lookups by ratingKey, hierarchy, per-user state and
// the aggregates Plex shows on shows and seasons. Tests may mutate the live state directly, so
// the index is rebuilt whenever the items array is replaced or changes length.
//
// Page speed at 100 000 items: a listing starts from the smallest candidate set an index gives
// (one section and type, the items a user has touched, the items with one primary guid) instead
// of filtering the whole library per request. Per-user indexes are the userState records
// themselves (keyed by ratingKey per account, so only touched items are visited); they are never
// cached apart from the state, because tests edit userState in place.
import type { PlexEmulatorData, PlexItem, PlexItemType, PlexSection, PlexUserItemState } from './data.ts';

interface Index {
  items: PlexItem[];
  length: number;
  byKey: Map<string, PlexItem>;
  childrenOf: Map<string, PlexItem[]>;
  /** Items ordered by ratingKey (numerically when both keys are numbers). */
  ordered: PlexItem[];
  /** `<sectionId>:<type>` → that section's items of that type, ordered by ratingKey. */
  bySectionType: Map<string, PlexItem[]>;
  /** Primary guid → items. Guids may be edited in place by tests: callers re-check item.guid. */
  byGuid: Map<string, PlexItem[]>;
  /** Position of each item in `ordered`: merging candidate lists back into ratingKey order. */
  rank: Map<PlexItem, number>;
  /** Movies and seasons, newest addedAt first: what /library/recentlyAdded lists. */
  recentlyAdded: PlexItem[];
  /** Parallel to `ordered`: each title when indexed, and its lower case (the title search). */
  titles: string[];
  lowerTitles: string[];
}

export function compareRatingKeys(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb) && na !== nb) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isLeafType(item: PlexItem): boolean {
  return item.type === 'movie' || item.type === 'episode';
}

export class Library {
  private index: Index | undefined;

  constructor(private readonly data: () => PlexEmulatorData) {}

  get state(): PlexEmulatorData {
    return this.data();
  }

  private current(): Index {
    const items = this.data().items;
    if (this.index && this.index.items === items && this.index.length === items.length) return this.index;
    const byKey = new Map<string, PlexItem>();
    const childrenOf = new Map<string, PlexItem[]>();
    for (const item of items) {
      byKey.set(item.ratingKey, item);
      if (item.parentRatingKey !== undefined) {
        const siblings = childrenOf.get(item.parentRatingKey) ?? [];
        siblings.push(item);
        childrenOf.set(item.parentRatingKey, siblings);
      }
    }
    for (const siblings of childrenOf.values()) {
      siblings.sort((a, b) => (a.index ?? 0) - (b.index ?? 0) || compareRatingKeys(a.ratingKey, b.ratingKey));
    }
    const ordered = [...items].sort((a, b) => compareRatingKeys(a.ratingKey, b.ratingKey));
    const bySectionType = new Map<string, PlexItem[]>();
    const byGuid = new Map<string, PlexItem[]>();
    const rank = new Map<PlexItem, number>();
    const recentlyAdded: PlexItem[] = [];
    for (const [position, item] of ordered.entries()) {
      rank.set(item, position);
      const sectionKey = `${item.sectionId}:${item.type}`;
      const ofSection = bySectionType.get(sectionKey);
      if (ofSection) ofSection.push(item);
      else bySectionType.set(sectionKey, [item]);
      const sameGuid = byGuid.get(item.guid);
      if (sameGuid) sameGuid.push(item);
      else byGuid.set(item.guid, [item]);
      if (item.type === 'movie' || item.type === 'season') recentlyAdded.push(item);
    }
    recentlyAdded.sort(newestAddedFirst);
    const titles = ordered.map((item) => item.title);
    const lowerTitles = titles.map((title) => title.toLowerCase());
    this.index = { items, length: items.length, byKey, childrenOf, ordered, bySectionType, byGuid, rank, recentlyAdded, titles, lowerTitles };
    return this.index;
  }

  /** One section's items of the given types, in ratingKey order. */
  sectionItems(sectionId: string | undefined, types: ReadonlySet<PlexItemType>): PlexItem[] {
    const index = this.current();
    if (sectionId === undefined) {
      return types.size === 4 ? index.ordered : index.ordered.filter((item) => types.has(item.type));
    }
    const lists = [...types].map((type) => index.bySectionType.get(`${sectionId}:${type}`) ?? []).filter((list) => list.length > 0);
    if (lists.length <= 1) return lists[0] ?? [];
    return this.inKeyOrder(lists.flat());
  }

  /** Items whose primary guid is one of `guids` (checked against the live item, see byGuid). */
  itemsWithGuid(guids: readonly string[]): PlexItem[] {
    const index = this.current();
    const found = new Set<PlexItem>();
    for (const guid of guids) {
      for (const item of index.byGuid.get(guid) ?? []) if (item.guid === guid) found.add(item);
    }
    // A guid edited in place after the index was built is not a key yet: fall back to a scan.
    if (found.size === 0) for (const item of index.ordered) if (guids.includes(item.guid)) found.add(item);
    return this.inKeyOrder([...found]);
  }

  /** The items this account has any state on (position, plays), in ratingKey order. */
  touchedItems(accountId: number): PlexItem[] {
    const perUser = this.data().userState[String(accountId)] ?? {};
    const index = this.current();
    const items: PlexItem[] = [];
    for (const ratingKey of Object.keys(perUser)) {
      const item = index.byKey.get(ratingKey);
      if (item) items.push(item);
    }
    return this.inKeyOrder(items);
  }

  /** The account's started movies and episodes (viewOffset > 0), in ratingKey order. */
  inProgressLeaves(accountId: number): PlexItem[] {
    const perUser = this.data().userState[String(accountId)] ?? {};
    return this.touchedItems(accountId).filter((item) => isLeafType(item) && (perUser[item.ratingKey]?.viewOffset ?? 0) > 0);
  }

  /** Items whose title contains `lowerQuery` (case-insensitive), in ratingKey order. */
  titleMatches(lowerQuery: string): PlexItem[] {
    const { ordered, titles, lowerTitles } = this.current();
    const found: PlexItem[] = [];
    for (let i = 0; i < ordered.length; i++) {
      const item = ordered[i] as PlexItem;
      // A title edited in place since the index was built is lower-cased afresh.
      const lower = item.title === titles[i] ? (lowerTitles[i] as string) : item.title.toLowerCase();
      if (lower.includes(lowerQuery)) found.push(item);
    }
    return found;
  }

  recentlyAdded(): PlexItem[] {
    return this.current().recentlyAdded;
  }

  /** Sort a subset of the library into the library's ratingKey order. */
  inKeyOrder(items: PlexItem[]): PlexItem[] {
    const rank = this.current().rank;
    return items.sort((a, b) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0));
  }

  item(ratingKey: string): PlexItem | undefined {
    return this.current().byKey.get(ratingKey);
  }

  allItems(): PlexItem[] {
    return this.current().ordered;
  }

  section(key: string): PlexSection | undefined {
    return this.data().sections.find((s) => s.key === key);
  }

  sectionOf(item: PlexItem): PlexSection | undefined {
    return this.section(item.sectionId);
  }

  children(ratingKey: string): PlexItem[] {
    return this.current().childrenOf.get(ratingKey) ?? [];
  }

  /** Episodes under a show or season (ordered season, episode); a movie or episode is its own leaf. */
  leaves(item: PlexItem): PlexItem[] {
    if (isLeafType(item)) return [item];
    const result: PlexItem[] = [];
    for (const child of this.children(item.ratingKey)) result.push(...this.leaves(child));
    return result;
  }

  userState(accountId: number, ratingKey: string): PlexUserItemState {
    return this.data().userState[String(accountId)]?.[ratingKey] ?? {};
  }

  /** Merge a change into a user's state; zero/undefined fields are dropped, as Plex omits them. */
  updateUserState(accountId: number, ratingKey: string, patch: PlexUserItemState): void {
    const all = this.data().userState;
    const perUser = (all[String(accountId)] ??= {});
    const merged: PlexUserItemState = { ...perUser[ratingKey], ...patch };
    const cleaned: PlexUserItemState = {};
    if (merged.viewOffset) cleaned.viewOffset = merged.viewOffset;
    if (merged.viewCount) cleaned.viewCount = merged.viewCount;
    if (merged.lastViewedAt) cleaned.lastViewedAt = merged.lastViewedAt;
    if (Object.keys(cleaned).length === 0) delete perUser[ratingKey];
    else perUser[ratingKey] = cleaned;
  }

  /** What a row shows for this user: own state for leaves, a summary of episodes for parents. */
  viewState(accountId: number, item: PlexItem): ViewState {
    if (isLeafType(item)) {
      const own = this.userState(accountId, item.ratingKey);
      return { viewOffset: own.viewOffset ?? 0, viewCount: own.viewCount ?? 0, lastViewedAt: own.lastViewedAt ?? 0 };
    }
    const leaves = this.leaves(item);
    let viewCount = 0;
    let lastViewedAt = 0;
    let viewedLeafCount = 0;
    let startedLeafCount = 0;
    for (const leaf of leaves) {
      const own = this.userState(accountId, leaf.ratingKey);
      viewCount += own.viewCount ?? 0;
      lastViewedAt = Math.max(lastViewedAt, own.lastViewedAt ?? 0);
      if (own.viewCount) viewedLeafCount++;
      if (own.viewOffset) startedLeafCount++;
    }
    return { viewOffset: 0, viewCount, lastViewedAt, leafCount: leaves.length, viewedLeafCount, startedLeafCount };
  }
}

function newestAddedFirst(a: PlexItem, b: PlexItem): number {
  return b.addedAt - a.addedAt || compareRatingKeys(b.ratingKey, a.ratingKey);
}

export interface ViewState {
  viewOffset: number;
  viewCount: number;
  lastViewedAt: number;
  /** Only for shows and seasons. */
  leafCount?: number;
  viewedLeafCount?: number;
  startedLeafCount?: number;
}
