// The Plex notifications trigger on its own, against the Plex emulator's websocket: a played-state
// change (`timeline` frame) is an event; a shared user's token cannot open the socket and the
// trigger says so in its health, without the token, and does not try again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { createLogger } from '../../src/cli/log.ts';
import type { PlexProviderConfig } from '../../src/providers/plex/config.ts';
import { plexWebsocketTrigger } from '../../src/providers/plex/trigger-websocket.ts';
import type { ItemEvent } from '../../src/providers/trigger.ts';
import { startPlexEmulator } from '../../emulators/plex/server.ts';
import { eventually } from './serve-support.ts';

const log = createLogger({ level: 'silent' });
const config = (url: string, token: string): PlexProviderConfig => ({ kind: 'plex', url, token, timeoutMs: 5000, retries: 1, maxConcurrentWrites: 4 });

test('a played-state change on Plex is a `changed` event for the item; a shared user’s token leaves the trigger down', async () => {
  const plex = await startPlexEmulator({ name: 'trigger-plex', synthetic: 'movies=5,shows=1,seasons=1,episodes=2', seed: 'trig', quiet: true });
  const owner = plexWebsocketTrigger('plex', config(plex.url, plex.ownerToken), { log, now: Date.now, minBackoffMs: 50 });
  const aliceToken = plex.state.accounts.find((a) => a.id !== 1)!.token;
  const shared = plexWebsocketTrigger('plex-alice', config(plex.url, aliceToken), { log, now: Date.now, minBackoffMs: 50 });
  const events: ItemEvent[] = [];
  try {
    owner.start((e) => events.push(e));
    shared.start(() => assert.fail('a refused trigger has no events'));
    await eventually(() => (owner.health().state === 'up' ? true : undefined));
    const film = plex.state.items.find((i) => i.type === 'movie')!;
    const res = await request(`${plex.url}/:/scrobble?key=${film.ratingKey}&identifier=com.plexapp.plugins.library`, {
      headers: { 'X-Plex-Token': plex.ownerToken },
    });
    await res.body.dump();
    assert.equal(res.statusCode, 200);
    const event = await eventually(() => events.find((e) => e.nativeId === film.ratingKey));
    assert.equal(event.kind, 'changed');
    assert.equal(event.via, 'plex-websocket');
    assert.equal(event.provider, 'plex');
    assert.ok(owner.health().lastEventAt !== undefined);
    const down = await eventually(() => (shared.health().lastError ? shared.health() : undefined));
    assert.notEqual(down.state, 'up');
    assert.match(down.lastError ?? '', /owner/);
    assert.ok(!(down.lastError ?? '').includes(aliceToken), 'no token in the health');
    // Refused stays refused: many backoffs later it has not knocked again.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(shared.health().reconnects, 0);
    assert.equal(shared.health().state, 'down');
  } finally {
    await owner.stop();
    await shared.stop();
    await plex.close();
  }
});
