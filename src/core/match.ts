// Match: source records → items by key. Keys are canonical external-id keys, or ref keys for
// items without external ids; one source listing the same item twice keeps the newer record.
import { canonicalKey, matchTokens, refKey } from './ids.ts';
import { pickNewer } from './duplicates.ts';
import type { ProgressRecord } from './model.ts';
import type { SourceItem } from './pipeline.ts';

/**
 * A source's records as items by key. `otherServerId` is the server of the other side of the
 * pair: without external ids an item can only be found on the server it came from, so those
 * from elsewhere are `missing_ids`. Pairs sharing one source read derive their items from the
 * same records, each against its own other side.
 */
export function itemsOf(records: ProgressRecord[], otherServerId: string): Map<string, SourceItem> {
  const byKey = new Map<string, SourceItem>();
  for (const record of records) {
    const external = canonicalKey(record);
    const key = external ?? refKey(record.ref);
    const usable = external !== undefined || record.ref.server === otherServerId;
    const existing = byKey.get(key);
    const item: SourceItem = { key, record, resolution: usable ? 'resolved' : 'missing_ids' };
    byKey.set(key, existing ? (pickNewer(existing.record, record) === record ? item : existing) : item);
  }
  return byKey;
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
