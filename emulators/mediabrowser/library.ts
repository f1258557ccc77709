// Read-side helpers over the state: lookups by id, the hierarchy (library → movie | series →
// season → episode), per-user data with defaults, and the aggregates servers show on folders.
// Tests may mutate the live state, so the index is rebuilt whenever `items` or `libraries` is
// replaced or changes length.
import type { MbItem, MbLibrary, MbUserData, MediaBrowserDialect, MediaBrowserEmulatorData } from './data.ts';
import { isoTicks } from './time.ts';

interface Index {
  items: MbItem[];
  itemCount: number;
  libraries: MbLibrary[];
  libraryCount: number;
  byId: Map<string, MbItem>;
  childrenOf: Map<string, MbItem[]>;
  /** Item id → the library it lives in. */
  libraryOf: Map<string, MbLibrary>;
  /** Folder id (library, series, season) → its movies/episodes, in hierarchy order. */
  leavesOf: Map<string, MbItem[]>;
}

export function isLeaf(item: MbItem): boolean {
  return item.Type === 'Movie' || item.Type === 'Episode';
}

const ARTICLES = /^(the|a|an)\s+/i;

/** Servers sort by a derived name: no leading article, lower case; episodes by their numbers. */
export function sortNameOf(item: MbItem): string {
  if (item.SortName !== undefined) return item.SortName;
  if (item.Type === 'Episode') {
    return `${String(item.ParentIndexNumber ?? 0).padStart(4, '0')} - ${String(item.IndexNumber ?? 0).padStart(4, '0')} - ${item.Name}`.toLowerCase();
  }
  if (item.Type === 'Season') return `season ${String(item.IndexNumber ?? 0).padStart(4, '0')}`;
  return item.Name.replace(ARTICLES, '').toLowerCase();
}

export function defaultUserData(): MbUserData {
  return { PlaybackPositionTicks: 0, PlayCount: 0, Played: false, IsFavorite: false };
}

export class MbCatalog {
  private index: Index | undefined;

  constructor(
    private readonly data: () => MediaBrowserEmulatorData,
    readonly dialect: MediaBrowserDialect,
    private readonly now: () => number,
  ) {}

  private current(): Index {
    const { items, libraries } = this.data();
    const i = this.index;
    if (i && i.items === items && i.itemCount === items.length && i.libraries === libraries && i.libraryCount === libraries.length) return i;
    const byId = new Map<string, MbItem>();
    const childrenOf = new Map<string, MbItem[]>();
    for (const item of items) {
      byId.set(item.Id, item);
      const siblings = childrenOf.get(item.ParentId) ?? [];
      siblings.push(item);
      childrenOf.set(item.ParentId, siblings);
    }
    for (const siblings of childrenOf.values()) {
      siblings.sort((a, b) => (a.IndexNumber ?? 0) - (b.IndexNumber ?? 0) || sortNameOf(a).localeCompare(sortNameOf(b)) || (a.Id < b.Id ? -1 : 1));
    }
    const libraryOf = new Map<string, MbLibrary>();
    const leavesOf = new Map<string, MbItem[]>();
    const walk = (folderId: string, library: MbLibrary): MbItem[] => {
      const leaves: MbItem[] = [];
      for (const child of childrenOf.get(folderId) ?? []) {
        libraryOf.set(child.Id, library);
        if (isLeaf(child)) leaves.push(child);
        else leaves.push(...walk(child.Id, library));
      }
      leavesOf.set(folderId, leaves);
      return leaves;
    };
    for (const library of libraries) walk(library.Id, library);
    this.index = { items, itemCount: items.length, libraries, libraryCount: libraries.length, byId, childrenOf, libraryOf, leavesOf };
    return this.index;
  }

  /** Ids arrive in any case and, on Jellyfin, with or without dashes. */
  normalizeId(raw: string): string {
    if (this.dialect === 'jellyfin' && /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/.test(raw)) {
      return raw.replace(/-/g, '').toLowerCase();
    }
    return raw;
  }

  item(rawId: string): MbItem | undefined {
    return this.current().byId.get(this.normalizeId(rawId));
  }

  library(rawId: string): MbLibrary | undefined {
    const id = this.normalizeId(rawId);
    return this.current().libraries.find((l) => l.Id === id);
  }

  libraries(): MbLibrary[] {
    return this.current().libraries;
  }

  allItems(): MbItem[] {
    return this.current().items;
  }

  children(folderId: string): MbItem[] {
    return this.current().childrenOf.get(folderId) ?? [];
  }

  /** Every item below a folder (library, series, season), parents before children. */
  descendants(folderId: string): MbItem[] {
    const out: MbItem[] = [];
    const visit = (id: string) => {
      for (const child of this.children(id)) {
        out.push(child);
        visit(child.Id);
      }
    };
    visit(folderId);
    return out;
  }

  /** The movies/episodes of an item: itself when it is one. */
  leaves(item: MbItem): MbItem[] {
    return isLeaf(item) ? [item] : (this.current().leavesOf.get(item.Id) ?? []);
  }

  libraryOf(item: MbItem): MbLibrary | undefined {
    return this.current().libraryOf.get(item.Id);
  }

  /** The stored record, or the defaults for an item the user never touched (not stored). */
  userData(userId: string, itemId: string): MbUserData {
    return this.data().userData[userId]?.[itemId] ?? defaultUserData();
  }

  /** Replace a user's record for an item, stamping when it changed. */
  saveUserData(userId: string, itemId: string, record: MbUserData): MbUserData {
    const state = this.data();
    const byItem = (state.userData[userId] ??= {});
    const saved: MbUserData = { ...record, DateLastSaved: isoTicks(this.now()) };
    byItem[itemId] = saved;
    return saved;
  }

  isPlayed(userId: string, item: MbItem): boolean {
    if (isLeaf(item)) return this.userData(userId, item.Id).Played;
    const leaves = this.leaves(item);
    return leaves.length > 0 && leaves.every((leaf) => this.userData(userId, leaf.Id).Played);
  }

  /** Leaves: a position is stored. Folders: some episode below is in progress. */
  isResumable(userId: string, item: MbItem): boolean {
    if (isLeaf(item)) return this.userData(userId, item.Id).PlaybackPositionTicks > 0;
    return this.leaves(item).some((leaf) => this.userData(userId, leaf.Id).PlaybackPositionTicks > 0);
  }
}
