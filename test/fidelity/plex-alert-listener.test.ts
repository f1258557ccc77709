// Fidelity: @ctrl/plex's AlertListener (its port of python-plexapi's websocket listener) connects
// to the emulator's /:/websockets/notifications with the owner's token and hands its callback
// the NotificationContainer of what the emulator sends. Its AlertTypes model `timeline`,
// `activity`, `status` and friends but not `playing`, so the playing frame is checked as JSON
// and the timeline entry against the client's own types.
import assert from 'node:assert/strict';
import { syncBuiltinESMExports } from 'node:module';
import os from 'node:os';
import { after, before, describe, it } from 'node:test';
import type { AlertTypes, MovieSection, PlexServer } from '@ctrl/plex';
import { startPlexEmulator, type RunningPlexEmulator } from '../../emulators/plex/server.ts';
import { until } from '../support/until.ts';

type PlexModule = typeof import('@ctrl/plex');

const ZERO_MAC = /^(?:0{1,2}[:-]){5}0{1,2}$/;

/** @ctrl/plex throws at import on a machine with only loopback (it derives its client id from a MAC). */
async function importClient(): Promise<PlexModule> {
  const interfaces = os.networkInterfaces();
  if (Object.values(interfaces).some((list) => list?.some((i) => !ZERO_MAC.test(i.mac)))) return import('@ctrl/plex');
  const real = os.networkInterfaces;
  os.networkInterfaces = () => ({
    ...real(),
    test0: [{ address: '192.0.2.1', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '192.0.2.1/24' }],
  });
  syncBuiltinESMExports();
  try {
    return await import('@ctrl/plex');
  } finally {
    os.networkInterfaces = real;
    syncBuiltinESMExports();
  }
}

let plexapi: PlexModule;
let emulator: RunningPlexEmulator;
let server: PlexServer;

before(async () => {
  plexapi = await importClient();
  emulator = await startPlexEmulator({ name: 'alerts', synthetic: 'movies=3,shows=1,seasons=1,episodes=1', seed: 'alerts', quiet: true });
  server = new plexapi.PlexServer(emulator.url, emulator.ownerToken);
  await server.connect();
});

after(async () => {
  await emulator?.close();
});

describe('@ctrl/plex AlertListener against the Plex emulator', () => {
  it('receives the timeline entry of markWatched() and the playing frame of a stop', async () => {
    const received: AlertTypes[] = [];
    const listener = new plexapi.AlertListener(server, (data) => received.push(data));
    await listener.run();
    try {
      const sections = await (await server.library()).sections();
      const section = sections.find((s): s is MovieSection => s instanceof plexapi.MovieSection)!;
      const [movie] = await section.all();
      assert.ok(movie);
      await movie.markWatched();
      const timeline = await until('timeline alert', () => received.find((a): a is Extract<AlertTypes, { type: 'timeline' }> => a.type === 'timeline'));
      assert.equal(timeline.TimelineEntry[0]?.itemID, movie.ratingKey);
      assert.equal(timeline.TimelineEntry[0]?.type, 1);

      const duration = emulator.state.items.find((i) => i.ratingKey === movie.ratingKey)!.durationMs!;
      const query = `/:/timeline?ratingKey=${movie.ratingKey}&key=/library/metadata/${movie.ratingKey}&state=stopped&time=60000&duration=${duration}`;
      await server.query(query, 'post');
      const playing = await until('playing alert', () => received.find((a) => (a as { type: string }).type === 'playing'));
      const [entry] = (playing as unknown as { PlaySessionStateNotification: { ratingKey: string; state: string; viewOffset: number }[] })
        .PlaySessionStateNotification;
      assert.deepEqual(
        { ratingKey: entry?.ratingKey, state: entry?.state, viewOffset: entry?.viewOffset },
        { ratingKey: movie.ratingKey, state: 'stopped', viewOffset: 60000 },
      );
    } finally {
      listener.stop();
    }
  });
});
