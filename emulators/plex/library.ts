// Read-side helpers over PlexEmulatorData: lookups by ratingKey, hierarchy, per-user state and
// the aggregates Plex shows on shows and seasons. Tests may mutate the live state directly, so
// the index is rebuilt whenever the items array is replaced or changes length.
import type { PlexEmulatorData, PlexItem, PlexSection, PlexUserItemState } from './data.ts';

interface Index {
  items: PlexItem[];
  length: number;
  byKey: Map<string, PlexItem>;
  childrenOf: Map<string, PlexItem[]>;
  /** Items ordered by ratingKey (numerically when both keys are numbers). */
  ordered: PlexItem[];
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
    this.index = { items, length: items.length, byKey, childrenOf, ordered };
    return this.index;
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

export interface ViewState {
  viewOffset: number;
  viewCount: number;
  lastViewedAt: number;
  /** Only for shows and seasons. */
  leafCount?: number;
  viewedLeafCount?: number;
  startedLeafCount?: number;
}
