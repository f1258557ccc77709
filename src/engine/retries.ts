// Carrying unresolved and failing items across runs (rules in core/retries.ts): items still
// waiting for their next try are decided without touching the target; after a run, each item's
// entry is updated — kept, parked, or dropped once it went through.
import { decided, type TypedDecision } from '../core/pipeline.ts';
import { nextTry, positionKey } from '../core/retries.ts';
import { displayTitle } from '../core/decide.ts';
import { positionOf } from '../core/position.ts';
import type { PendingRow, Store } from '../store/store.ts';
import type { SourceItem as Item } from '../core/pipeline.ts';

/** The source position a pending entry is about (the same item at another position is a new case). */
const snapshotOf = (i: Item) => positionOf({ progressMs: i.record.progressMs, progressPct: i.record.progressPct, progressAt: i.record.progressAt });

/** Splits items into those to try now and decisions for those still waiting. */
export function holdBack(items: Item[], pending: Map<string, PendingRow>, now: number): { active: Item[]; waiting: TypedDecision[] } {
  const active: Item[] = [];
  const waiting: TypedDecision[] = [];
  for (const item of items) {
    const p = pending.get(item.key);
    const sameCase = p !== undefined && p.sourcePos === positionKey(snapshotOf(item));
    if (!p || !sameCase || p.nextAt <= now || item.clear) {
      active.push(item);
      continue;
    }
    const base = { key: item.key, title: displayTitle(item.record), type: item.record.type, source: snapshotOf(item) };
    const detail = { waiting: true as const, attempts: p.attempts, retryAt: p.nextAt, ...(p.lastError ? { lastError: p.lastError } : {}) };
    waiting.push(p.parked ? decided(base, 'skip', 'parked', detail) : decided(base, 'skip', 'unresolved', detail));
  }
  return { active, waiting };
}

/** After a real run: note what did not go through, forget what did. */
export function updatePending(store: Store, pair: string, tried: Item[], decisions: Map<string, TypedDecision>, now: number): void {
  const pending = store.pendingFor(pair);
  for (const item of tried) {
    const d = decisions.get(item.key);
    if (!d) continue;
    const kind = d.reason === 'unresolved' ? 'unresolved' : d.reason === 'failed' ? 'failed' : undefined;
    if (!kind) {
      if (pending.has(item.key)) store.dropPending(pair, item.key);
      continue;
    }
    const before = pending.get(item.key);
    const sourcePos = positionKey(snapshotOf(item));
    const attempts = before && before.kind === kind && before.sourcePos === sourcePos ? before.attempts + 1 : 1;
    const { nextAt, parked } = nextTry(kind, attempts, now);
    const error = d.detail?.error ?? d.detail?.unresolved;
    store.savePending({
      pair,
      key: item.key,
      title: d.title,
      kind,
      attempts,
      firstAt: before?.firstAt ?? now,
      lastAt: now,
      nextAt,
      parked,
      ...(typeof error === 'string' ? { lastError: error } : {}),
      sourcePos,
    });
  }
}
