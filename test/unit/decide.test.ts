import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideItem, displayTitle, planItem, summarise } from '../../src/core/decide.ts';
import { DEFAULT_PROGRESS_SETTINGS } from '../../src/core/pair.ts';
import type { Decision } from '../../src/core/model.ts';
import { AT, DUR, decideInput as input, record, target } from '../support/decide-fixtures.ts';

describe('decideItem', () => {
  it('writes, with full snapshots and the percent', () => {
    assert.deepEqual(decideItem(input()), {
      key: 'imdb:tt0111161',
      title: 'The Shawshank Redemption',
      type: 'movie',
      action: 'write',
      reason: 'write',
      source: { progressMs: 1_200_000, durationMs: DUR, progressAt: AT, watched: false },
      target: { progressMs: 600_000, durationMs: DUR, progressAt: AT - 3_600_000, watched: false },
      detail: { percent: 20 },
      unwatchFirst: false,
    });
  });

  it('reports below_minimum before missing ids', () => {
    const d = decideItem(input({ source: record({ progressMs: 30_000 }), resolution: 'missing_ids', target: undefined }));
    assert.equal(d.action, 'skip');
    assert.equal(d.reason, 'below_minimum');
    assert.deepEqual(d.detail, { sourceMs: 30_000, thresholdMs: 60_000 });
    assert.equal(d.target, undefined);
  });

  it('reports near_complete before unresolved; a capped position that is not on the target is unresolved', () => {
    const finished = decideItem(input({ source: record({ progressMs: 5_760_000 }), resolution: 'unresolved', target: undefined, targetCompletionPercent: 90 }));
    assert.equal(finished.reason, 'near_complete');
    const capped = decideItem(input({ source: record({ progressMs: 5_400_000 }), resolution: 'unresolved', target: undefined, targetCompletionPercent: 90 }));
    assert.equal(capped.reason, 'unresolved');
  });

  it('missing_ids', () => {
    const d = decideItem(input({ resolution: 'missing_ids', target: undefined, key: 'ref:plex-home:101' }));
    assert.deepEqual(
      { action: d.action, reason: d.reason, key: d.key, detail: d.detail },
      { action: 'skip', reason: 'missing_ids', key: 'ref:plex-home:101', detail: { ref: '101', provider: 'plex-home' } },
    );
  });

  it('unresolved, with the provider detail', () => {
    const d = decideItem(input({ resolution: 'unresolved', unresolvedDetail: 'not in the GUID index', target: undefined }));
    assert.deepEqual([d.action, d.reason, d.detail], ['skip', 'unresolved', { unresolved: 'not in the GUID index' }]);
  });

  it('treats a resolved item without live state as unresolved (never write blind)', () => {
    const d = decideItem(input({ target: undefined }));
    assert.deepEqual([d.action, d.reason, d.detail], ['skip', 'unresolved', { unresolved: 'no live state for the item on the target' }]);
  });

  it('planner unchanged comes before the policy (even before playing_now)', () => {
    const d = decideItem(input({ target: target({ progressMs: 1_210_000, playingNow: true }) }));
    assert.equal(d.reason, 'unchanged');
    assert.deepEqual(d.detail, { sourceMs: 1_200_000, targetMs: 1_210_000, deltaMs: 10_000, thresholdMs: 30_000 });
  });

  it('passes policy skips through', () => {
    assert.equal(decideItem(input({ target: target({ playingNow: true }) })).reason, 'playing_now');
    assert.equal(decideItem(input({ sameOrigin: true })).reason, 'same_origin');
    assert.equal(decideItem(input({ source: record({ progressAt: undefined }) })).reason, 'missing_source_time');
    assert.equal(decideItem(input({ target: target({ progressAt: AT + 30_001 }) })).reason, 'target_newer');
    assert.equal(decideItem(input({ target: target({ watched: true, progressAt: AT }) })).reason, 'already_watched');
  });

  it('uses the pair tolerance in seconds', () => {
    const settings = { ...DEFAULT_PROGRESS_SETTINGS, toleranceSeconds: 0 };
    assert.equal(decideItem(input({ settings, target: target({ progressAt: AT + 1 }) })).reason, 'target_newer');
    assert.equal(decideItem(input({ settings, target: target({ progressAt: AT }) })).reason, 'write');
  });

  it('replays a watched target, asking to un-watch first', () => {
    const settings = { ...DEFAULT_PROGRESS_SETTINGS, replay: true };
    const d = decideItem(input({ settings, target: target({ watched: true, progressMs: 1_200_000, progressAt: AT + 60_000 }) }));
    assert.deepEqual([d.action, d.reason, d.unwatchFirst, d.detail], ['write', 'write', true, { percent: 20, unwatchFirst: true }]);
  });

  it('names episodes "Show S01E02" when the show title is known', () => {
    const ep = record({
      type: 'episode',
      title: 'Cat’s in the Bag...',
      show: { ids: { tvdb: '81189' }, title: 'Breaking Bad' },
      season: 1,
      episode: 2,
    });
    const d = decideItem(input({ source: ep, key: 'tvdb:81189#s01e02' }));
    assert.equal(d.title, 'Breaking Bad S01E02');
    assert.equal(d.type, 'episode');
  });

  it('honours min_seconds 0 end to end', () => {
    const settings = { ...DEFAULT_PROGRESS_SETTINGS, minSeconds: 0 };
    const d = decideItem(input({ settings, source: record({ progressMs: 5_000 }), target: target({ progressMs: undefined, progressAt: undefined }) }));
    assert.equal(d.reason, 'write');
  });
});

describe('displayTitle', () => {
  it('falls back to the episode title', () => {
    assert.equal(displayTitle({ type: 'episode', title: 'Pilot', show: { ids: {} }, season: 1, episode: 1 }), 'Pilot');
    assert.equal(displayTitle({ type: 'episode', title: 'Pilot', show: { ids: {}, title: 'X' } }), 'Pilot');
    assert.equal(displayTitle({ type: 'episode', title: 'Pilot', show: { ids: {}, title: 'X' }, season: 0, episode: 110 }), 'X S00E110');
    assert.equal(displayTitle({ type: 'movie', title: 'Heat' }), 'Heat');
  });
});

describe('summarise', () => {
  it('counts by reason in REASONS order, present reasons only', () => {
    const d = (reason: Decision['reason']): Decision => ({ key: 'k', title: 't', type: 'movie', action: 'skip', reason, source: {} });
    const out = summarise([d('write'), d('below_minimum'), d('write'), d('playing_now'), d('below_minimum'), d('write')]);
    assert.deepEqual(out, { below_minimum: 2, playing_now: 1, write: 3 });
    assert.deepEqual(Object.keys(out), ['below_minimum', 'playing_now', 'write']);
    assert.deepEqual(summarise([]), {});
  });
});

describe('planItem', () => {
  it('plans an item once: the source-only plan the engine made to pick items is the one used', () => {
    const given = { action: 'skip' as const, reason: 'near_complete' as const, detail: { percent: 99, maxPercent: 95 } };
    const { decision, write } = planItem({ ...input(), sourcePlan: given });
    assert.deepEqual([decision.reason, decision.detail, write], ['near_complete', given.detail, undefined]);
  });
  it('carries the write: the value as it will be written, the ref on the target, what the target held', () => {
    const { decision, write } = planItem(input());
    assert.equal(decision.reason, 'write');
    assert.deepEqual(write && { ref: write.ref, change: write.change, previous: write.previous, orderAt: write.orderAt, expectWatched: write.expectWatched }, {
      ref: { provider: 'plex-cabin', server: 'cabin', id: '7' },
      change: { kind: 'write', value: { progressMs: 1_200_000, progressPct: 20, durationMs: DUR, progressAt: AT }, unwatchFirst: false },
      previous: { progressMs: 600_000, durationMs: DUR, progressAt: AT - 3_600_000, watched: false },
      orderAt: AT,
      expectWatched: false,
    });
  });
});
