// reasons.ts pinned down (issue 16): labels and listing order of every reason, and how reasons
// this version does not know (rows written by a newer one) are shown.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { REASONS } from '../../src/core/model.ts';
import { byReasonOrder, REASON_TABLE, reasonLabel } from '../../src/core/reasons.ts';

describe('reason labels', () => {
  it('are the table labels, distinct and never empty', () => {
    const labels = REASONS.map(reasonLabel);
    assert.equal(new Set(labels).size, REASONS.length);
    for (const r of REASONS) {
      assert.equal(reasonLabel(r), REASON_TABLE[r].label);
      assert.ok(reasonLabel(r).length > 0);
    }
    assert.equal(reasonLabel('capped'), 'written, capped');
  });

  it('show a reason this version does not know as it is, inherited object names included', () => {
    for (const r of ['future_reason', 'toString', 'constructor', '__proto__', 'hasOwnProperty', '']) assert.equal(reasonLabel(r), r);
  });
});

describe('reason order', () => {
  it('is the table order, and lists in full: what happened, then why things were left alone', () => {
    assert.deepEqual([...REASONS].sort(byReasonOrder), [
      'failed',
      'write',
      'capped',
      'clear',
      'finished',
      'restore',
      'parked',
      'changed_since',
      'unresolved',
      'ambiguous_ids',
      'bad_position',
      'missing_ids',
      'playing_now',
      'conflict_lost',
      'target_newer',
      'finished_skip',
      'already_watched',
      'missing_source_time',
      'same_origin',
      'near_complete',
      'below_minimum',
      'unchanged',
      'target_runtime_unknown',
    ]);
  });

  it('is a consistent comparison: zero with itself, antisymmetric, negative when a comes first', () => {
    for (const a of REASONS) {
      assert.equal(byReasonOrder(a, a), 0);
      for (const b of REASONS) {
        assert.ok(Math.sign(byReasonOrder(a, b)) === -Math.sign(byReasonOrder(b, a)));
        assert.equal(Math.sign(byReasonOrder(a, b)), Math.sign(REASON_TABLE[a].order - REASON_TABLE[b].order));
      }
    }
  });

  it('puts reasons it does not know after every known one', () => {
    for (const unknown of ['future_reason', 'toString', 'constructor']) {
      for (const r of REASONS) {
        assert.ok(byReasonOrder(r, unknown) < 0, `${r} before ${unknown}`);
        assert.ok(byReasonOrder(unknown, r) > 0, `${unknown} after ${r}`);
      }
    }
    assert.deepEqual(['future_reason', 'unchanged', 'write'].sort(byReasonOrder), ['write', 'unchanged', 'future_reason']);
  });
});
