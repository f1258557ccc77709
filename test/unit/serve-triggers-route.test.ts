// Where ServeTriggers sends an event: an item's event becomes item work of the pairs reading from
// its provider; an event for `*` (the trigger cannot say which items changed) asks for full runs
// of exactly those pairs, at once, under the trigger's name. An event naming an account goes to
// the instance of that account on the same server, whichever trigger or webhook URL it came by.
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
import type { ProviderModule } from '../../src/providers/module.ts';
import { registerProviderModule } from '../../src/providers/registry.ts';
import type { ItemEvent } from '../../src/providers/trigger.ts';
import { Store } from '../../src/store/store.ts';
import { fakeKind } from '../support/fake-provider.ts';
import { until } from '../support/until.ts';

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

// A kind whose instances share a server: `server` names it, `account` is whose account each acts
// as (`?` for one the server will not tell), and the first instance holds the one trigger that
// sees every account, as Plex's owner socket and a Jellyfin API key's socket do.
type RoutedConfig = { kind: 'routed'; server: string; account: string };

function routedKind(): { module: ProviderModule<RoutedConfig>; emit: (holder: string, event: Omit<ItemEvent, 'provider' | 'at' | 'via'>) => void } {
  const listeners = new Map<string, (e: ItemEvent) => void>();
  const module: ProviderModule<RoutedConfig> = {
    ...(fakeKind().module as unknown as ProviderModule<RoutedConfig>),
    kind: 'routed',
    label: 'Routed',
    serverKey: (config) => config.server,
    accountId: async (_id, config) => (config.account === '?' ? undefined : config.account),
    // Account ids compare in one spelling (as Jellyfin's GUIDs do).
    accountKey: (id) => id.toLowerCase(),
    shareTriggers: (server) => [{ holder: server[0]!.id, serves: server.map((s) => s.id) }],
    triggers: (id) => [
      {
        name: 'routed-socket',
        start: (onEvent) => void listeners.set(id, onEvent),
        stop: async () => {},
        health: () => ({ state: 'up', since: 0, reconnects: 0 }),
      },
    ],
  };
  return {
    module,
    emit: (holder, event) => {
      const listener = listeners.get(holder);
      assert.ok(listener, `${holder} holds a trigger`);
      listener({ ...event, provider: holder, at: Date.now(), via: 'routed-socket' });
    },
  };
}

test('an event naming an account runs the pairs of that account’s instance on that server only; one of no known account runs nothing', async () => {
  const routed = routedKind();
  const unregister = registerProviderModule(routed.module as unknown as ProviderModule);
  const dir = mkdtempSync(join(tmpdir(), 'playhead-route-'));
  const store = Store.open(join(dir, 'state.db'));
  const calls: Array<{ pair: string; via: string; items: string[] | undefined }> = [];
  const scheduler = {
    requestItems: async (p: string, via: string, items: string[] | undefined) => {
      calls.push({ pair: p, via, items });
      return undefined;
    },
  } as unknown as Scheduler<RunOutcome>;
  const instance = (server: string, account: string) => ({ kind: 'routed', server, account });
  const config = {
    providers: {
      'home@owner': instance('home', 'OWNER'),
      'home@alice': instance('home', 'Alice-1'),
      'home@bob': instance('home', 'bob-2'),
      'home@ghost': instance('home', '?'),
      // Another server where an account has the same id: never reached from `home`.
      'cabin@alice': instance('cabin', 'alice-1'),
    },
    pairs: ['owner', 'alice', 'bob', 'ghost'].map((u) => pair(u, `home@${u}`, 'elsewhere')).concat([pair('cabin', 'cabin@alice', 'elsewhere')]),
    state: { path: join(dir, 'state.db') },
    logLevel: 'silent',
  } as unknown as Config;
  const triggers = new ServeTriggers({ config, store, log: createLogger({ level: 'silent' }), events: new EventBus(), metrics: new ServeMetrics(), scheduler });
  try {
    triggers.start();
    // The accounts are asked first, then the holder's trigger starts.
    await until('the holder’s trigger', () => (triggers.health('home@bob').length > 0 ? true : undefined));
    // A shared user's pair shows the socket that serves it (the holder's), one per server.
    assert.deepEqual(
      triggers.health('home@alice').map((t) => [t.name, t.state]),
      [['routed-socket', 'up']],
    );
    const ghost = triggers.health('home@ghost');
    assert.equal(ghost[0]?.state, 'down', 'an instance whose account is unknown hears nothing, and says so');
    assert.match(ghost[0]?.lastError ?? '', /account_id/);

    routed.emit('home@owner', { nativeId: '42', kind: 'stopped', user: { id: 'alice-1' } });
    await until('alice’s item run', () => calls.find((c) => c.pair === 'alice'), 4000);
    // Past the window: nobody else's pair ran for alice's stop (not the holder's, not the other server's).
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(calls, [{ pair: 'alice', via: 'routed-socket', items: [{ provider: 'home@alice', nativeId: '42' }] }]);

    // A webhook posted at alice's URL for bob's play is bob's.
    calls.length = 0;
    triggers.receive({ provider: 'home@alice', nativeId: '7', kind: 'stopped', user: { id: 'BOB-2' }, at: Date.now(), via: 'routed-webhook' });
    // An account no instance acts as, and the unknown one's events: dropped.
    triggers.receive({ provider: 'home@alice', nativeId: '8', kind: 'stopped', user: { id: 'carol-3' }, at: Date.now(), via: 'routed-webhook' });
    routed.emit('home@owner', { nativeId: '9', kind: 'stopped', user: { id: '?' } });
    await until('bob’s item run', () => calls.find((c) => c.pair === 'bob'), 4000);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(calls, [{ pair: 'bob', via: 'routed-webhook', items: [{ provider: 'home@bob', nativeId: '7' }] }]);

    // No account named (a catch-up): every instance the socket serves runs in full, each for its own account.
    calls.length = 0;
    routed.emit('home@owner', { nativeId: '*', kind: 'changed' });
    assert.deepEqual(calls.map((c) => c.pair).sort(), ['alice', 'bob', 'ghost', 'owner']);
  } finally {
    await triggers.stop();
    unregister();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
