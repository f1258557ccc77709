// runTwoWay: read both sides → per item, which side moved since the last run (core/two-way.ts) →
// decide and apply against the other side with the same rules as one-way → record both sides.
import type { Decision, PositionSnapshot, ProgressRecord } from '../core/model.ts';
import { summarise } from '../core/decide.ts';
import { identityOf, matchTokens } from '../core/ids.ts';
import { positionOf } from '../core/position.ts';
import { chooseDirection, sideChange } from '../core/two-way.ts';
import { displayTitle } from '../core/decide.ts';
import { ProviderError, type Provider } from '../providers/provider.ts';
import { holdBack, updatePending } from './retries.ts';
import { explicitClearsOf } from './clears.ts';
import { applyWrites, decideOn, readItems, type Item, type RunPairOptions, type RunResult, type RunStatus } from './run-pair.ts';

function snap(r: ProgressRecord | undefined): PositionSnapshot | undefined {
  return r ? positionOf({ ...r, playCount: undefined }) : undefined;
}


/**
 * Puts B's items under A's key when they are the same item known by different ids (one server
 * has only the tmdb id, the other only the imdb one): canonical keys differ, match tokens meet.
 */
export function joinKeys(aItems: Map<string, Item>, bItems: Map<string, Item>): Map<string, Item> {
  const aByToken = new Map<string, string>();
  for (const [key, item] of aItems) for (const token of matchTokens(item.record)) aByToken.set(token, key);
  const out = new Map<string, Item>();
  for (const [key, item] of bItems) {
    const joined = aItems.has(key) ? key : matchTokens(item.record).map((t) => aByToken.get(t)).find((k) => k !== undefined && !bItems.has(k));
    const finalKey = joined ?? key;
    out.set(finalKey, finalKey === key ? item : { ...item, key: finalKey, aliasKey: key });
  }
  return out;
}

export async function runTwoWay(opts: RunPairOptions): Promise<RunResult> {
  const { pair, source: a, target: b, store, log, dryRun } = opts;
  const settings = pair.features.progress;
  const startedAt = opts.now();
  const runId = dryRun ? undefined : store.startRun({ pair: pair.name, source: a.id, target: b.id, dryRun, startedAt });
  const stats = { read: 0, resolved: 0, writes: 0 };
  try {
    const [aInfo, bInfo] = await Promise.all([a.connect(), b.connect()]);
    // Both sides are targets in a two-way pair.
    for (const side of [a, b]) if (side.capabilities.writeBlockedReason) throw new ProviderError('config', side.id, side.capabilities.writeBlockedReason);

    const aItems = await readItems(a, bInfo.serverId, stats, opts.onEvent);
    const bItems = joinKeys(aItems, await readItems(b, aInfo.serverId, stats, opts.onEvent));

    const toB: Item[] = [];
    const toA: Item[] = [];
    const decisions = new Map<string, Decision>();
    const conflicts: Decision[] = [];
    // Items one side dropped while the other still has them: with `remove: true`, cleared on the
    // other side when the dropping side confirms it explicitly (see clears below).
    const dropped: { key: string; from: Provider; to: Provider; present: Item }[] = [];
    for (const key of new Set([...aItems.keys(), ...bItems.keys()])) {
      const ai = aItems.get(key);
      const bi = bItems.get(key);
      const aNow = snap(ai?.record);
      const bNow = snap(bi?.record);
      // A joined item may still be on record under the key it had before it was joined.
      const keys = bi?.aliasKey ? [key, bi.aliasKey] : [key];
      const change = (side: Provider, now: PositionSnapshot | undefined) =>
        sideChange(
          now,
          keys.map((k) => store.observation(side.id, k)).find((o) => o !== undefined),
          keys.map((k) => store.lastConfirmedWrite(side.id, k)?.value).find((v) => v !== undefined),
        );
      const aChange = change(a, aNow);
      const bChange = change(b, bNow);
      const choice = chooseDirection({ change: aChange, ...(aNow ? { position: aNow } : {}) }, { change: bChange, ...(bNow ? { position: bNow } : {}) }, settings.toleranceSeconds * 1000);
      const record = (ai ?? bi)?.record;
      if (!record) continue;
      const still = (c: string) => c === 'unchanged' || c === 'echo' || c === 'absent';
      if (choice.direction === 'a_to_b' && ai) toB.push(still(bChange) ? { ...ai, targetStill: true } : ai);
      else if (choice.direction === 'b_to_a' && bi) toA.push(still(aChange) ? { ...bi, targetStill: true } : bi);
      else if (settings.remove && aChange === 'dropped' && bi && bChange !== 'absent') dropped.push({ key, from: a, to: b, present: bi });
      else if (settings.remove && bChange === 'dropped' && ai && aChange !== 'absent') dropped.push({ key, from: b, to: a, present: ai });
      else {
        // Nothing to write: say why, from A's point of view.
        const echo = aChange === 'echo' || bChange === 'echo';
        decisions.set(key, {
          key,
          title: displayTitle(record),
          type: record.type,
          action: 'skip',
          reason: echo ? 'same_origin' : 'unchanged',
          source: aNow ?? {},
          ...(bNow ? { target: bNow } : {}),
          detail: { twoWay: choice.why, a: aChange, b: bChange },
        });
      }
      if (choice.conflict) {
        const [loser, winner] = choice.conflict.loser === 'a' ? [aNow, bNow] : [bNow, aNow];
        conflicts.push({
          key: `${key}#conflict`,
          title: displayTitle(record),
          type: record.type,
          action: 'skip',
          reason: 'conflict_lost',
          source: loser ?? {},
          ...(winner ? { target: winner } : {}),
          detail: { lost: choice.conflict.loser === 'a' ? a.id : b.id, won: choice.conflict.loser === 'a' ? b.id : a.id, why: choice.why },
        });
      }
    }

    // Explicit clears: ask the dropping side about the item; a clear on it is carried over.
    for (const side of [a, b]) {
      const asked = dropped.filter((d) => d.from === side);
      if (asked.length === 0) continue;
      const signals = await explicitClearsOf(side, side === a ? aInfo.serverId : bInfo.serverId, store, asked.map((d) => d.key));
      for (const d of asked) {
        const signal = signals.get(d.key);
        const item = d.present;
        // Named as the side that still has it knows it (its own ref), timed as the clear.
        if (signal && d.to.capabilities.clear) (d.to === b ? toB : toA).push({ key: d.key, record: { ...signal, ...identityOf(item.record), ref: item.record.ref }, resolution: 'resolved', clear: true });
        else
          decisions.set(d.key, {
            key: d.key,
            title: displayTitle(item.record),
            type: item.record.type,
            action: 'skip',
            reason: 'unchanged',
            source: snap(item.record) ?? {},
            detail: { twoWay: `${side.id} dropped it without an explicit clear: not re-added` },
          });
      }
    }

    // The same decisions as one-way, against each side in turn; items waiting for their next try
    // (unresolved, parked) are left alone.
    const pending = store.pendingFor(pair.name);
    const heldB = holdBack(toB, pending, opts.now());
    const heldA = holdBack(toA, pending, opts.now());
    const toBDecisions = await decideOn(b, heldB.active, settings, store, stats);
    const toADecisions = await decideOn(a, heldA.active, settings, store, stats);
    for (const d of [...heldB.waiting, ...heldA.waiting]) decisions.set(d.key, d);
    if (!dryRun && runId !== undefined) {
      for (const [target, items, ds] of [
        [b, toB, toBDecisions],
        [a, toA, toADecisions],
      ] as const) {
        const writes = items.filter((i) => (ds.get(i.key)?.action === 'write' || ds.get(i.key)?.action === 'clear') && i.ref);
        if (writes.length > 0) await applyWrites(writes, ds, { ...opts, target, runId });
        stats.writes += writes.length;
      }
    }
    for (const [ds, direction] of [
      [toBDecisions, `${a.id} → ${b.id}`],
      [toADecisions, `${b.id} → ${a.id}`],
    ] as const) {
      for (const [key, d] of ds) {
        const { unwatchFirst: _unused, ...rest } = d;
        decisions.set(key, { ...rest, detail: { ...rest.detail, direction } });
      }
    }

    const list = [...decisions.values(), ...conflicts];
    const counts = summarise(list);
    const status: RunStatus = (counts.failed ?? 0) > 0 ? 'partial' : 'ok';
    const finishedAt = opts.now();
    if (runId !== undefined) {
      store.recordDecisions(runId, list);
      updatePending(store, pair.name, [...heldB.active, ...heldA.active], decisions, finishedAt);
      store.recordObservations(runId, a.id, [...aItems.values()].map((i) => ({ key: i.key, record: i.record })));
      store.recordObservations(runId, b.id, [...bItems.values()].map((i) => ({ key: i.key, record: i.record })));
      store.finishRun(runId, { finishedAt, status, counts });
    }
    log.info({ pair: pair.name, dryRun, counts }, 'two-way pair run finished');
    return { ...(runId !== undefined ? { runId } : {}), pair: pair.name, source: a.id, target: b.id, dryRun, status, counts, decisions: list, startedAt, finishedAt, stats };
  } catch (err) {
    if (runId !== undefined) store.finishRun(runId, { finishedAt: opts.now(), status: 'failed', counts: {}, error: err instanceof Error ? err.message : String(err) });
    throw err;
  }
}
