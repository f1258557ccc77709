// Where ServeTriggers sends an event: an item's event becomes item work of the pairs reading from
// its provider; an event for `*` (the trigger cannot say which items changed) asks for full runs
// of exactly those pairs, at once, under the trigger's name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/cli/log.ts';
import type { Config } from '../../src/config/types.ts';
import type { ScopedItem } from '../../src/engine/run-pair.ts';
import { DEFAULT_PROGRESS_SETTINGS, type PairConfig } from '../../src/core/pair.ts';
import { EventBus } from '../../src/serve/events.ts';
import { ServeMetrics } from '../../src/serve/metrics.ts';
import type { RunOutcome } from '../../src/serve/runner.ts';
import type { Scheduler } from '../../src/serve/scheduler.ts';
import { ServeTriggers } from '../../src/serve/triggers.ts';
import { Store } from '../../src/store/store.ts';

const pair = (name: string, source: string, target: string, mode: PairConfig['mode'] = 'one-way'): PairConfig => ({
  name,
  source,
  target,
  mode,
  features: { progress: { ...DEFAULT_PROGRESS_SETTINGS } },
});

test("an event for '*' asks for full runs of the pairs reading from its provider, and of no other", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'playhead-route-'));
  const store = Store.open(join(dir, 'state.db'));
  const calls: Array<{ pair: string; via: string; items: ScopedItem[] | undefined }> = [];
  const scheduler = {
    requestItems: async (p: string, via: string, items: ScopedItem[] | undefined) => {
      calls.push({ pair: p, via, items });
      return undefined;
    },
  } as unknown as Scheduler<RunOutcome>;
  const config = {
    providers: {},
    pairs: [pair('from-trakt', 'trakt', 'plex'), pair('both-ways', 'jf', 'trakt', 'two-way'), pair('other', 'plex', 'jf')],
    state: { path: join(dir, 'state.db') },
    logLevel: 'silent',
  } as unknown as Config;
  const triggers = new ServeTriggers({ config, store, log: createLogger({ level: 'silent' }), events: new EventBus(), metrics: new ServeMetrics(), scheduler });
  try {
    triggers.receive({ provider: 'trakt', nativeId: '*', kind: 'changed', at: Date.now(), via: 'trakt-poll' });
    assert.deepEqual(calls, [
      { pair: 'from-trakt', via: 'trakt-poll', items: undefined },
      { pair: 'both-ways', via: 'trakt-poll', items: undefined },
    ]);
    // An item's event waits for its coalescing window: nothing is asked at once.
    triggers.receive({ provider: 'plex', nativeId: '42', kind: 'stopped', at: Date.now(), via: 'plex-webhook' });
    assert.equal(calls.length, 2);
  } finally {
    await triggers.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
