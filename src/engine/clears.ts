// Finding explicit clears on a source (`remove: true`): items we last saw with a position that
// are no longer listed are asked about one by one (in one batch); only those that now report no
// position, are not watched, and carry a newer time count. The rules live in core/clears.ts.
import type { Logger } from 'pino';
import type { ItemIdentity, PositionSnapshot, ProgressRecord } from '../core/model.ts';
import { isExplicitClear, suspiciousShrink } from '../core/clears.ts';
import { positionOf } from '../core/position.ts';
import type { Provider } from '../providers/provider.ts';
import type { Store } from '../store/store.ts';

export interface ClearCandidate {
  key: string;
  /** The source item as it is now: no position, the time it was cleared. */
  record: ProgressRecord;
}

export async function findExplicitClears(source: Provider, sourceServer: string, store: Store, listed: Set<string>, log: Logger): Promise<ClearCandidate[]> {
  const seen = store.positionedObservations(source.id);
  if (suspiciousShrink(seen.length, listed.size)) {
    log.warn({ provider: source.id, before: seen.length, now: listed.size }, 'the source list shrank suspiciously since the last run: no clears this run');
    return [];
  }
  const vanished = seen.filter((s) => !listed.has(s.key));
  const signals = await signalsAmong(source, sourceServer, vanished);
  return [...signals].map(([key, record]) => ({ key, record }));
}

/**
 * Two-way: for items a side no longer lists (keys given), the ones it cleared explicitly, as
 * records on that side (no position, the time of the clear).
 */
export async function explicitClearsOf(side: Provider, server: string, store: Store, keys: string[]): Promise<Map<string, ProgressRecord>> {
  const wanted = new Set(keys);
  return signalsAmong(
    side,
    server,
    store.positionedObservations(side.id).filter((s) => wanted.has(s.key)),
  );
}

/** Asks a side, in one batch, about items last seen with a position; keeps the explicit clears. */
async function signalsAmong(side: Provider, server: string, seen: ReturnType<Store['positionedObservations']>): Promise<Map<string, ProgressRecord>> {
  const out = new Map<string, ProgressRecord>();
  if (seen.length === 0) return out;
  const states = await side.targetState(
    seen.map((v) => ({ provider: side.id, server, id: v.ref })),
    { playing: false },
  );
  for (const v of seen) {
    const state = states.get(v.ref);
    // Gone from the server entirely: not a signal about the position.
    if (!state) continue;
    const now = positionOf({ ...state, durationMs: undefined, playCount: undefined });
    if (isExplicitClear(v.position, now)) out.set(v.key, clearedRecord(v.item, { provider: side.id, server, id: v.ref }, now));
  }
  return out;
}

function clearedRecord(item: ItemIdentity, ref: ProgressRecord['ref'], now: PositionSnapshot): ProgressRecord {
  return { ...item, ref, watched: false, ...(now.progressAt !== undefined ? { progressAt: now.progressAt } : {}) };
}
