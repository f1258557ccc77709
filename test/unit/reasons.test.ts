import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { REASONS } from '../../src/core/model.ts';
import { REASON_TABLE, byReasonOrder, reasonLabel } from '../../src/core/reasons.ts';
import { countsLine, decisionsTable, position } from '../../src/cli/output.ts';
import { decisionSchema, parseDecision, type TypedDecision } from '../../src/core/pipeline.ts';
import { summarise } from '../../src/core/decide.ts';

describe('the reasons table', () => {
  it('has one row per reason, in REASONS order, each with a label and its own place', () => {
    assert.deepEqual(Object.keys(REASON_TABLE), [...REASONS]);
    const orders = Object.values(REASON_TABLE).map((r) => r.order);
    assert.equal(new Set(orders).size, orders.length, 'no two reasons share a place');
    for (const r of REASONS) assert.ok(reasonLabel(r).length > 0);
  });
  it('orders what happened before why things were left alone, the reasons the CLI used to miss included', () => {
    const shown = [...REASONS].sort(byReasonOrder);
    assert.deepEqual(shown.slice(0, 7), ['failed', 'write', 'capped', 'clear', 'finished', 'restore', 'parked']);
    assert.ok(shown.indexOf('conflict_lost') < shown.indexOf('unchanged'));
    assert.ok(shown.indexOf('changed_since') < shown.indexOf('unresolved'));
  });
  it('the CLI counts line and tables follow it', () => {
    const d = (reason: TypedDecision['reason'], title: string): TypedDecision =>
      ({ key: title, title, type: 'movie', action: 'skip', reason, source: {} }) as TypedDecision;
    const counts = summarise([
      d('unchanged', 'u'),
      d('clear', 'c'),
      d('parked', 'p'),
      d('conflict_lost', 'l'),
      d('restore', 'r'),
      d('changed_since', 's'),
      d('write', 'w'),
    ]);
    assert.equal(countsLine(counts), 'write 1 · clear 1 · restore 1 · parked 1 · changed_since 1 · conflict_lost 1 · unchanged 1');
    const table = decisionsTable([d('unchanged', 'u'), d('parked', 'p'), d('clear', 'c')], 10);
    assert.ok(table.indexOf('skip: cleared') < table.indexOf('skip: parked after failures'));
    assert.ok(table.indexOf('skip: parked after failures') < table.indexOf('skip: unchanged'));
  });
});

describe('positions in the CLI', () => {
  it('print for percent-only providers (Trakt): the percent, with an estimated time when the runtime is known', () => {
    assert.equal(position({ progressPct: 42.25 }), '42.3%');
    assert.equal(position({ progressPct: 25, durationMs: 7_200_000 }), '~30:00 (25.0%)');
    assert.equal(position({ progressPct: 42, watched: true }), '42.0%, watched');
  });
  it('print time and percent for the others, as before', () => {
    assert.equal(position({ progressMs: 1_800_000, durationMs: 7_200_000 }), '30:00 (25.0%)');
    assert.equal(position({}), '—');
    assert.equal(position(undefined), '—');
  });
});

describe('decisionSchema', () => {
  it('reads a decision back with its typed detail', () => {
    const raw = {
      key: 'k',
      title: 't',
      type: 'movie',
      action: 'write',
      reason: 'capped',
      source: { progressMs: 1 },
      detail: { percent: 89.5, capAtPercent: 90, writePercent: 89.5, confirmed: true, ref: '7' },
    };
    const d = parseDecision(JSON.parse(JSON.stringify(raw)));
    assert.equal(d.reason, 'capped');
    assert.deepEqual(d, raw);
  });
  it('refuses a detail that does not fit its reason', () => {
    const bad = { key: 'k', title: 't', type: 'movie', action: 'write', reason: 'capped', source: {}, detail: { percent: 'ninety' } };
    assert.equal(decisionSchema.safeParse(bad).success, false);
    // …and the store keeps such a row, without the detail, rather than failing the whole read.
    const { detail: _d, ...rest } = bad;
    assert.deepEqual(parseDecision(bad), rest);
  });
});
