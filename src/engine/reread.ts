// Finding journalled writes again on their provider and reading what it holds now, in one batch:
// undo needs it to decide what to put back, crash recovery to learn whether a write landed.
import type { NativeRef, TargetState } from '../core/model.ts';
import type { Provider } from '../providers/provider.ts';
import type { JournalRow, Store } from '../store/store.ts';

export type Reread = { ref: NativeRef; state: TargetState } | { unresolved: string };

/** Per journal row id: the item's ref and live state, or why it cannot be read. `serverId` is the provider's, from `connect()`. */
export async function rereadJournalled(provider: Provider, serverId: string, rows: JournalRow[], store: Store): Promise<Map<number, Reread>> {
  const out = new Map<number, Reread>();
  const here: JournalRow[] = [];
  for (const row of rows) {
    // A native id means nothing on another server: never touch a look-alike item there.
    if (row.server === serverId) here.push(row);
    else out.set(row.id, { unresolved: `${provider.id} is now server ${serverId}, not ${row.server} where the run wrote` });
  }
  if (here.length === 0) return out;
  // A native ref on its own server is taken as is; Trakt names items by their ids, so each
  // provider is asked, with what we know of the item.
  const requests = new Map(
    here.map((row) => {
      const ref = { provider: row.provider, server: row.server, id: row.ref };
      return [row.key, { ...(store.item(row.key) ?? { type: 'movie' as const, ids: {}, title: row.key }), key: row.key, ref }];
    }),
  );
  const resolved = await provider.resolve([...requests.values()]);
  const found: { row: JournalRow; ref: NativeRef }[] = [];
  for (const row of here) {
    const outcome = resolved.get(row.key);
    if (outcome && 'ref' in outcome) found.push({ row, ref: outcome.ref });
    else out.set(row.id, { unresolved: outcome?.unresolved ?? `not found on ${provider.id}` });
  }
  const states = await provider.targetState(found.map((f) => f.ref));
  for (const { row, ref } of found) {
    const state = states.get(ref.id);
    out.set(row.id, state ? { ref, state } : { unresolved: `item ${ref.id} no longer exists on ${provider.id}` });
  }
  return out;
}
