// pipeline.ts pinned down (issue 16): every reason's detail is read back as stored when it fits,
// and dropped (the decision kept) when a fact has the wrong type or a required fact is missing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { REASONS } from '../../src/core/model.ts';
import type { Reason } from '../../src/core/model.ts';
import { decided, decisionSchema, parseDecision } from '../../src/core/pipeline.ts';

const wrote = { progressMs: 60_000, progressPct: 5, durationMs: 1_200_000, progressAt: 1_700_000_000_000 };
const source = { progressMs: 1, progressPct: 2, durationMs: 3, progressAt: 4, watched: false, playCount: 0 };

function row(reason: Reason, detail: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { key: 'imdb:tt0111161', title: 'T', type: 'movie', action: 'skip', reason, source, ...extra, ...(detail === undefined ? {} : { detail }) };
}

/** Per reason: a detail that fits (every fact it may carry, typed), and details that do not. */
const DETAILS: { [R in Reason]: { good: Record<string, unknown>; bad: Record<string, unknown>[] } } = {
  below_minimum: {
    good: { sourceMs: null, thresholdMs: 60_000, note: 'n', estimated: true, confirmed: true },
    bad: [{ sourceMs: 1 }, { sourceMs: '1', thresholdMs: 1 }],
  },
  near_complete: {
    good: { percent: 95, maxPercent: 90, sourceMs: 1, durationMs: 2, ref: 'r' },
    bad: [{ percent: 95 }, { percent: 95, maxPercent: 90, sourceMs: '1' }],
  },
  target_runtime_unknown: {
    good: { sourcePercent: 93, safeBelowPercent: 40, watchedAtPercent: 90, confirmed: true },
    bad: [
      { sourcePercent: 93, watchedAtPercent: 90 },
      { safeBelowPercent: 40, watchedAtPercent: '90' },
    ],
  },
  unchanged: {
    good: {
      sourceMs: 1,
      targetMs: 2,
      deltaMs: 3,
      thresholdMs: 4,
      sourcePercent: 5,
      targetPercent: 6,
      deltaPercent: 7,
      thresholdPercent: 8,
      clear: 'c',
      twoWay: 'w',
      a: 'a',
      b: 'b',
      direction: 'x → y',
    },
    bad: [{ sourceMs: '1' }, { deltaPercent: '1' }, { clear: true }, { twoWay: 1 }, { a: 1 }, { direction: 1 }],
  },
  missing_ids: { good: { ref: '5', provider: 'plex', direction: 'd' }, bad: [{ ref: '5' }, { ref: 5, provider: 'plex' }] },
  unresolved: {
    good: { unresolved: 'u', error: 'e', waiting: true, attempts: 2, retryAt: 3, lastError: 'l', journalId: 1, ref: 'r', wrote, confirmed: true },
    bad: [{ unresolved: 1 }, { attempts: '2' }, { waiting: false }, { journalId: 'x' }, { wrote: { progressMs: 'x' } }, { confirmed: false }],
  },
  ambiguous_ids: {
    good: {
      side: 'source',
      items: [
        { provider: 'plex', id: '1', title: 'T', durationMs: 2 },
        { provider: 'plex', id: '2' },
      ],
      target: '9',
      direction: 'd',
    },
    bad: [
      { items: [] },
      { side: 'elsewhere', items: [] },
      { side: 'target' },
      { side: 'target', items: [{ id: '1' }] },
      { side: 'source', items: [], target: 9 },
    ],
  },
  bad_position: {
    good: { side: 'target', provider: 'plex', id: '5', field: 'viewOffset', raw: '-5', why: 'negative', ref: 'r', direction: 'd' },
    bad: [
      { provider: 'plex', id: '5', field: 'f', raw: 'r', why: 'w' },
      { side: 'source', provider: 'plex', id: 5, field: 'f', raw: 'r', why: 'w' },
      { side: 'source', provider: 'plex', id: '5', field: 'f', why: 'w' },
    ],
  },
  playing_now: { good: { ref: '5', direction: 'd' }, bad: [{}, { ref: 5 }] },
  same_origin: { good: { twoWay: 'w', a: 'a', b: 'b', confirmed: true }, bad: [{ twoWay: 1 }, { b: 1 }, { ref: 1 }] },
  missing_source_time: { good: { confirmed: true, ref: 'r', direction: 'd' }, bad: [{ confirmed: 'yes' }, { ref: 1 }] },
  target_newer: {
    good: { sourceAt: 1, targetAt: 2, aheadMs: 3, toleranceMs: 4, reason: 'r', sourceMs: 5, targetMs: 6, direction: 'd' },
    bad: [{ sourceAt: '1' }, { toleranceMs: '4' }, { reason: 1 }, { targetMs: '6' }, { direction: 1 }],
  },
  already_watched: { good: { playCount: 2, ref: 'r' }, bad: [{}, { playCount: '2' }] },
  write: {
    good: { percent: 50, unwatchFirst: true, confirmed: true, ref: 'r', direction: 'd' },
    bad: [{ percent: '50' }, { unwatchFirst: false }, { ref: 1 }],
  },
  capped: {
    good: { percent: 89, unwatchFirst: true, capAtPercent: 90, writePercent: 89, sourcePercent: 97, targetPercent: 98, confirmed: true },
    bad: [
      { capAtPercent: 90 },
      { capAtPercent: 90, writePercent: 89, sourcePercent: '97' },
      { capAtPercent: 90, writePercent: 89, percent: '1' },
      { capAtPercent: 90, writePercent: 89, targetPercent: '98' },
    ],
  },
  clear: { good: { clearedAt: 5, confirmed: true, ref: 'r' }, bad: [{}, { clearedAt: '5' }, { clearedAt: 5, ref: 1 }] },
  finished: {
    good: { mode: 'mark_watched', finishedAt: 1_700_000_000_000, targetAt: 1_699_000_000_000, confirmed: true, ref: 'r' },
    bad: [{ finishedAt: 1 }, { mode: 'watch', finishedAt: 1 }, { mode: 'clear' }],
  },
  finished_skip: {
    good: { finishedAt: 1, targetAt: 100_000, aheadMs: 99_999, toleranceMs: 30_000, direction: 'a → b' },
    bad: [
      { finishedAt: 1, targetAt: 2, aheadMs: 1 },
      { finishedAt: '1', targetAt: 2, aheadMs: 1, toleranceMs: 0 },
    ],
  },
  conflict_lost: {
    good: { lost: 'a', won: 'b', why: 'newer', direction: 'd' },
    bad: [
      { lost: 'a', won: 'b' },
      { lost: 1, won: 'b', why: 'w' },
    ],
  },
  parked: { good: { waiting: true, attempts: 5, retryAt: 6, lastError: 'boom', ref: 'r' }, bad: [{ attempts: '5' }, { lastError: 1 }, { ref: 1 }] },
  failed: {
    good: {
      error: 'boom',
      percent: 1,
      capAtPercent: 90,
      writePercent: 89,
      sourcePercent: 97,
      clearedAt: 3,
      journalId: 4,
      ref: 'r',
      wrote,
      markWatched: true,
      clear: true,
      blocked: 'b',
      unwatchFirst: true,
      confirmed: true,
    },
    bad: [
      {},
      { error: 1 },
      { error: 'e', capAtPercent: '9' },
      { error: 'e', clearedAt: '3' },
      { error: 'e', journalId: '4' },
      { error: 'e', percent: '1' },
      { error: 'e', blocked: 1 },
    ],
  },
  changed_since: {
    good: { journalId: 1, ref: 'r', wrote, playingNow: true, confirmed: true },
    bad: [
      { ref: 'r', wrote },
      { journalId: 1, ref: 'r', wrote: {} },
      { journalId: 1, ref: 'r', wrote, playingNow: false },
    ],
  },
  restore: {
    good: { journalId: 1, ref: 'r', wrote, markWatched: true, unwatchFirst: true, clear: true, blocked: 'b', direction: 'd' },
    bad: [
      { ref: 'r', wrote },
      { journalId: 1, ref: 'r', wrote, markWatched: false },
      { journalId: 1, ref: 'r', wrote, blocked: 1 },
      { journalId: 1, ref: 1, wrote },
    ],
  },
};

describe('decision details, reason by reason', () => {
  for (const reason of REASONS) {
    const { good, bad } = DETAILS[reason];
    it(`${reason}: a fitting detail is read back exactly as stored`, () => {
      const raw = row(reason, good);
      assert.deepEqual(parseDecision(JSON.parse(JSON.stringify(raw))), raw);
    });
    it(`${reason}: the facts are optional beyond the required ones, and the detail itself is optional`, () => {
      assert.deepEqual(parseDecision(row(reason, undefined)), row(reason, undefined));
    });
    for (const detail of bad) {
      it(`${reason}: ${JSON.stringify(detail)} does not fit, and is dropped with the decision kept`, () => {
        assert.equal(decisionSchema.safeParse(row(reason, detail)).success, false);
        assert.deepEqual(parseDecision(row(reason, detail)), row(reason, undefined));
      });
    }
  }

  it('keeps facts an older or newer version wrote that this one does not name', () => {
    const raw = row('write', { percent: 5, legacy: 'kept', nested: { x: 1 } });
    assert.deepEqual(parseDecision(raw), raw);
  });

  it('needs only what an unresolved item or a failure is about, not a journal row', () => {
    for (const [reason, detail] of [
      ['unresolved', { unresolved: 'not found on the target' }],
      ['unresolved', {}],
      ['failed', { error: 'HTTP 500' }],
    ] as const) {
      assert.deepEqual(parseDecision(row(reason, detail)), row(reason, detail));
    }
  });
});

describe('the decision itself', () => {
  it('reads back every media type and action, with a target snapshot', () => {
    for (const type of ['movie', 'episode']) {
      for (const action of ['write', 'clear', 'skip']) {
        const raw = row(
          'unchanged',
          { sourceMs: 1 },
          { type, action, target: { progressMs: 9, durationMs: 10, watched: true, playCount: 1, progressAt: 2, progressPct: 90 } },
        );
        assert.deepEqual(parseDecision(raw), raw);
      }
    }
  });

  it('refuses an unknown type, action or reason, and a missing key or title, even without a detail', () => {
    for (const extra of [
      { type: 'show' },
      { action: 'delete' },
      { reason: 'exploded' },
      { key: undefined },
      { title: 1 },
      { source: { progressMs: '1' } },
      { target: { watched: 'no' } },
    ]) {
      const raw = { ...row('write', undefined), ...extra };
      assert.equal(decisionSchema.safeParse(raw).success, false, JSON.stringify(extra));
      assert.throws(() => parseDecision(raw));
    }
  });

  it('refuses nothing at all', () => {
    assert.throws(() => parseDecision(null), { name: 'ZodError' });
    assert.throws(() => parseDecision(undefined), { name: 'ZodError' });
  });

  it('drops snapshot facts it does not know (snapshots are not loose)', () => {
    const raw = row('write', undefined, { source: { progressMs: 1, extra: 2 } });
    assert.deepEqual(parseDecision(raw).source, { progressMs: 1 });
  });
});

describe('decided', () => {
  const base = { key: 'k', title: 't', type: 'movie' as const, source: { progressMs: 1 } };
  it('carries the detail when there is one', () => {
    assert.deepEqual(decided(base, 'write', 'write', { percent: 5 }), { ...base, action: 'write', reason: 'write', detail: { percent: 5 } });
  });
  it('has no detail key at all without one', () => {
    const d = decided(base, 'skip', 'unchanged');
    assert.deepEqual(d, { ...base, action: 'skip', reason: 'unchanged' });
    assert.equal(Object.hasOwn(d, 'detail'), false);
  });
  it('overrides the action and reason of the decision it builds on', () => {
    const first = decided(base, 'write', 'write', { percent: 5 });
    assert.deepEqual(decided(first, 'skip', 'parked', { attempts: 5 }), { ...base, action: 'skip', reason: 'parked', detail: { attempts: 5 } });
  });
});
