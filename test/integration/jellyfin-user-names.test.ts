// A Jellyfin user is named in playhead.yaml by name or by id. A name is matched as a name, dashes
// and all (a user called `mary-jane` used to be looked for as `maryjane` and refused); an id
// matches however it is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { startMediaBrowserEmulator } from '../../emulators/mediabrowser/server.ts';
import { startPlexEmulator } from '../../emulators/plex/server.ts';
import { parseConfig } from '../../src/config/load.ts';
import { runAll } from '../../src/engine/run-all.ts';
import { Store } from '../../src/store/store.ts';

const LIBRARY = 'movies=8';
const SEED = 'user-names';
const TICKS = 10_000;

test('a Jellyfin user named mary-jane is synced to, acted for with the API key', async () => {
  const plex = await startPlexEmulator({ name: 'names-plex', synthetic: LIBRARY, seed: SEED, quiet: true });
  const jf = await startMediaBrowserEmulator({ dialect: 'jellyfin', name: 'names-jf', synthetic: LIBRARY, seed: SEED, quiet: true });
  const store = Store.open(':memory:');
  try {
    // Two users whose names differ only by a dash: each must get their own positions.
    const maryJane = { id: 'a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5', name: 'mary-jane', token: 'mary-jane-token', admin: false, hidden: false };
    const maryjane = { id: 'f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5', name: 'maryjane', token: 'maryjane-token', admin: false, hidden: false };
    jf.state.users.push(maryJane, maryjane);
    const movie = plex.state.items.find((i) => i.type === 'movie' && i.guids.some((g) => g.startsWith('imdb://')) && i.durationMs);
    assert.ok(movie?.durationMs);
    const imdb = movie.guids.find((g) => g.startsWith('imdb://'))?.slice(7);
    const twin = jf.state.items.find((i) => i.Type === 'Movie' && i.ProviderIds.Imdb === imdb);
    assert.ok(twin, 'the film is on Jellyfin too');
    const offset = Math.round(movie.durationMs * 0.35);
    plex.state.userState['1'] = { [movie.ratingKey]: { viewOffset: offset, lastViewedAt: Math.floor(Date.now() / 1000) - 3600 } };

    const yaml = [
      'servers:',
      `  living-room: { kind: plex, url: ${plex.url} }`,
      `  upstairs: { kind: jellyfin, url: ${jf.url}, token: "\${JF_API_KEY}" }`,
      'users:',
      '  mj:',
      '    living-room: { token: "${PLEX_TOKEN}" }',
      '    upstairs: { user: mary-jane }',
      'sync:',
      '  - { source: living-room, target: upstairs }',
      '',
    ].join('\n');
    const config = parseConfig(yaml, 'playhead.yaml', { JF_API_KEY: jf.apiKey, PLEX_TOKEN: plex.ownerToken });
    const [outcome] = await runAll({ config, store, log: pino({ level: 'silent' }), dryRun: false, providerOptions: { minBackoffMs: 1 } });
    assert.ok(outcome?.ok, outcome && !outcome.ok ? outcome.error.message : '');
    assert.equal(outcome.result.counts.write, 1);
    assert.equal(jf.state.userData[maryJane.id]?.[twin.Id]?.PlaybackPositionTicks, offset * TICKS);
    assert.equal(jf.state.userData[maryjane.id]?.[twin.Id], undefined, 'maryjane is someone else');
  } finally {
    store.close();
    await Promise.all([plex.close(), jf.close()]);
  }
});
