// Match: source records → items by key. Keys are canonical external-id keys, or ref keys for
// items without external ids; one source listing the same item twice keeps the newer record,
// and different items listed under one key (or found as one target item) are `ambiguous_ids`.
import { canonicalKey, matchTokens, refKey } from './ids.ts';
import { pickNewest, sameItem } from './duplicates.ts';
import type { NativeRef, ProgressRecord } from './model.ts';
import type { DetailOf, SourceItem } from './pipeline.ts';

/** How an `ambiguous_ids` detail names one record. */
function ambiguousEntry(r: ProgressRecord): DetailOf<'ambiguous_ids'>['items'][number] {
  return { provider: r.ref.provider, id: r.ref.id, title: r.title, ...(r.durationMs !== undefined ? { durationMs: r.durationMs } : {}) };
}

/** Whether any two of the records are different items (every pair: "same item" is not transitive). */
function anyDifferent(records: readonly ProgressRecord[]): boolean {
  return records.some((a) => records.some((b) => !sameItem(a, b)));
}

/** Records of one key as one item: the newest copy, or `ambiguous` when any two differ. */
function itemOf(key: string, records: ProgressRecord[], usable: boolean): SourceItem {
  const item: SourceItem = {
    key,
    record: pickNewest(records),
    resolution: usable ? 'resolved' : 'missing_ids',
    ...(records.length > 1 ? { copies: records } : {}),
  };
  if (!anyDifferent(records)) return item;
  const byId = [...records].sort((a, b) => a.ref.id.localeCompare(b.ref.id, 'en', { numeric: true }));
  return { ...item, ambiguous: { side: 'source', items: byId.map(ambiguousEntry) } };
}

/**
 * A source's records as items by key. `otherServerId` is the server of the other side of the
 * pair: without external ids an item can only be found on the server it came from, so those
 * from elsewhere are `missing_ids`. Pairs sharing one source read derive their items from the
 * same records, each against its own other side.
 */
export function itemsOf(records: ProgressRecord[], otherServerId: string): Map<string, SourceItem> {
  const groups = new Map<string, { records: ProgressRecord[]; usable: boolean }>();
  for (const record of records) {
    const external = canonicalKey(record);
    const key = external ?? refKey(record.ref);
    // A ref key names one native item: its records are one item, so `usable` is the same for all.
    const group = groups.get(key) ?? { records: [], usable: external !== undefined || record.ref.server === otherServerId };
    group.records.push(record);
    groups.set(key, group);
  }
  return new Map([...groups].map(([key, g]) => [key, itemOf(key, g.records, g.usable)]));
}

/**
 * Several source items found as ONE target item: when any two of them are different items (see
 * sameItem), every one of them is ambiguous (the position of one would land on the other's
 * item), keyed by item key. Copies of one item found as one target item stay as they are (the
 * applier writes them oldest first, so the newest lands last).
 */
export function sharedTargets(
  items: readonly { key: string; record: ProgressRecord; copies?: ProgressRecord[] | undefined; ref?: NativeRef | undefined }[],
): Map<string, DetailOf<'ambiguous_ids'>> {
  const byTarget = new Map<string, { ref: NativeRef; keys: string[]; records: ProgressRecord[] }>();
  for (const { key, record, copies, ref } of items) {
    if (ref === undefined) continue;
    const id = `${ref.server}/${ref.id}`;
    const found = byTarget.get(id) ?? { ref, keys: [], records: [] };
    found.keys.push(key);
    // Every copy behind the item: "same item" is not transitive, so a copy may differ where the
    // one standing for the key does not.
    found.records.push(...(copies ?? [record]));
    byTarget.set(id, found);
  }
  const out = new Map<string, DetailOf<'ambiguous_ids'>>();
  for (const { ref, keys, records } of byTarget.values()) {
    if (keys.length < 2 || !anyDifferent(records)) continue;
    for (const key of keys) out.set(key, { side: 'source', target: ref.id, items: records.map(ambiguousEntry) });
  }
  return out;
}

/**
 * Puts B's items under A's key when they are the same item known by different ids (one server
 * has only the tmdb id, the other only the imdb one): canonical keys differ, match tokens meet.
 */
export function joinKeys(aItems: Map<string, SourceItem>, bItems: Map<string, SourceItem>): Map<string, SourceItem> {
  const aByToken = new Map<string, string>();
  for (const [key, item] of aItems) for (const token of matchTokens(item.record)) aByToken.set(token, key);
  const out = new Map<string, SourceItem>();
  for (const [key, item] of bItems) {
    const joined = aItems.has(key)
      ? key
      : matchTokens(item.record)
          .map((t) => aByToken.get(t))
          .find((k) => k !== undefined && !bItems.has(k));
    const finalKey = joined ?? key;
    out.set(finalKey, finalKey === key ? item : { ...item, key: finalKey, aliasKey: key });
  }
  return out;
}
