// serve's ItemQueue (coalescing and settling, on mocked timers) and the scheduler's item-scoped
// requests (queued behind a pair's full run, never refused; items joining a waiting item run).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../src/cli/log.ts';
import { DEFAULT_PROGRESS_SETTINGS, type PairConfig } from '../../src/core/pair.ts';
import type { ItemEvent } from '../../src/providers/trigger.ts';
import { COALESCE_MS, ItemQueue, type ItemWork } from '../../src/serve/items.ts';
import { Scheduler, type RunRequest } from '../../src/serve/scheduler.ts';

const log = createLogger({ level: 'silent' });
const SETTLE_MS = 20_000;
const event = (kind: ItemEvent['kind'], nativeId = '42', at = 0): ItemEvent => ({ provider: 'plex', nativeId, kind, at, via: 'plex-websocket' });

function queue(): { q: ItemQueue; ran: ItemWork[] } {
  const ran: ItemWork[] = [];
  const q = new ItemQueue({ log, settleMs: () => SETTLE_MS, run: (w) => ran.push(w) });
  return { q, ran };
}

test('events for one item within the window make one run, timed from the first event', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { q, ran } = queue();
  q.push('p', event('stopped', '42', 1_000));
  t.mock.timers.tick(COALESCE_MS - 1);
  q.push('p', event('changed', '42', 2_000));
  t.mock.timers.tick(COALESCE_MS - 1);
  assert.equal(ran.length, 0, 'still inside the window');
  t.mock.timers.tick(1);
  assert.deepEqual(ran, [{ pair: 'p', provider: 'plex', nativeId: '42', via: 'plex-websocket', firstEventAt: 1_000 }]);
  t.mock.timers.tick(60_000);
  assert.equal(ran.length, 1);
});

test('other items and other pairs wait on their own', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { q, ran } = queue();
  q.push('p', event('stopped', '1'));
  q.push('p', event('stopped', '2'));
  q.push('other', event('stopped', '1'));
  // The same native id on the other side of a two-way pair (Plex ↔ Plex) is another item.
  q.push('p', { ...event('stopped', '1'), provider: 'plex-2' });
  t.mock.timers.tick(COALESCE_MS);
  assert.deepEqual(ran.map((w) => `${w.pair}/${w.provider}/${w.nativeId}`).sort(), ['other/plex/1', 'p/plex-2/1', 'p/plex/1', 'p/plex/2']);
});

test('a playing item waits for its stop; a pause counts as the end after settle_seconds', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { q, ran } = queue();
  q.push('p', event('playing'));
  t.mock.timers.tick(SETTLE_MS * 2);
  assert.equal(ran.length, 0, 'no run while it plays');
  q.push('p', event('paused'));
  t.mock.timers.tick(SETTLE_MS - 1);
  assert.equal(ran.length, 0, 'a pause waits settle_seconds');
  q.push('p', event('playing'));
  t.mock.timers.tick(SETTLE_MS);
  assert.equal(ran.length, 0, 'resumed: waits again');
  q.push('p', event('stopped'));
  t.mock.timers.tick(COALESCE_MS);
  assert.equal(ran.length, 1, 'the stop ends the wait');

  q.push('p', event('paused', '7'));
  t.mock.timers.tick(SETTLE_MS);
  assert.equal(ran.length, 2, 'a pause longer than settle_seconds is synced');
});

test('a session gone quiet while playing is read after three settle periods, not never', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { q, ran } = queue();
  q.push('p', event('playing'));
  t.mock.timers.tick(SETTLE_MS * 3 - 1);
  assert.equal(ran.length, 0);
  t.mock.timers.tick(1);
  assert.equal(ran.length, 1);
});

test('a recheck (an item a run found playing) runs after settle_seconds; an event already waiting wins', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { q, ran } = queue();
  q.recheck('p', 'plex', '9');
  t.mock.timers.tick(SETTLE_MS - 1);
  assert.equal(ran.length, 0);
  t.mock.timers.tick(1);
  assert.deepEqual(ran, [{ pair: 'p', provider: 'plex', nativeId: '9', via: 'settle' }]);
  q.push('p', event('stopped', '10', 5));
  q.recheck('p', 'plex', '10');
  t.mock.timers.tick(COALESCE_MS);
  assert.equal(ran.length, 2);
  assert.equal(ran[1]?.via, 'plex-websocket');
  t.mock.timers.tick(SETTLE_MS);
  assert.equal(ran.length, 2);
});

test('stop: nothing waiting runs', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { q, ran } = queue();
  q.push('p', event('stopped'));
  q.stop();
  q.push('p', event('stopped', '2'));
  t.mock.timers.tick(60_000);
  assert.equal(ran.length, 0);
  assert.equal(q.size(), 0);
});

const item = (nativeId: string) => ({ provider: 'a', nativeId });
const pair = (name: string): PairConfig => ({ name, source: 'a', target: 'b', mode: 'one-way', features: { progress: { ...DEFAULT_PROGRESS_SETTINGS } } });

test('item runs queue behind the pair’s full run, are never refused, and items arriving meanwhile join one run', async () => {
  const requests: RunRequest[] = [];
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const s = new Scheduler<string>({
    pairs: [pair('p')],
    log,
    execute: async (r) => {
      requests.push(r);
      if (r.trigger === 'api') await gate;
      return r.items ? r.items.map((i) => i.nativeId).join(',') : 'full';
    },
  });
  const full = s.request({ pair: 'p', trigger: 'api', dryRun: false });
  await Promise.resolve();
  const a = s.requestItems('p', 'plex-websocket', [item('1')]);
  const b = s.requestItems('p', 'plex-websocket', [item('2')]);
  assert.equal(requests.length, 1, 'the item run waits for the full run');
  release();
  assert.equal(await full, 'full');
  assert.equal(await a, '1,2');
  assert.equal(await b, '1,2');
  assert.deepEqual(
    requests.map((r) => [r.trigger, r.items]),
    [
      ['api', undefined],
      ['plex-websocket', [item('1'), item('2')]],
    ],
  );
  // Without items (a two-way pair, a catch-up) the waiting run becomes a full one.
  const c = s.requestItems('p', 'plex-websocket', [item('3')]);
  const d = s.requestItems('p', 'plex-websocket-reconnect', undefined);
  assert.equal(await c, 'full');
  assert.equal(await d, 'full');
  await s.stop();
  assert.equal(await s.requestItems('p', 'plex-websocket', [item('4')]), undefined, 'stopping: not run');
});
