// Fidelity: the official Jellyfin SDK's websocket client (@jellyfin/sdk 1.0 `Api.subscribe`, its
// WebSocketService) against the Jellyfin emulator's /socket. The SDK connects with `?ApiKey=`,
// answers ForceKeepAlive with KeepAlive on its own, sends SessionsStart when Sessions is
// subscribed, and reconnects with backoff (1 s first) when the connection drops. The test checks
// each of those against the emulator, and that a stop reaches the subscriber as UserDataChanged.
//
// The SDK uses the global WebSocket; Node 20 has none, so the test lends it ws's, which
// implements the same browser interface.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as sdkIndex from '@jellyfin/sdk';
import axios from 'axios';
import { WebSocket as WsWebSocket } from 'ws';
import { startMediaBrowserEmulator, type RunningMediaBrowserEmulator } from '../../emulators/mediabrowser/server.ts';
import { until } from '../support/until.ts';

interface Message {
  MessageType: string;
  Data?: any;
}
interface Api {
  subscribe(types: string[], onMessage: (message: Message) => void): () => void;
}
/** The part of the SDK this test uses (the generated typings are not needed for it). */
const { Jellyfin } = sdkIndex as unknown as {
  Jellyfin: new (options: {
    clientInfo: { name: string; version: string };
    deviceInfo: { name: string; id: string };
  }) => {
    createApi(basePath: string, accessToken?: string, axiosInstance?: unknown): Api;
  };
};

const globals = globalThis as { WebSocket?: unknown };
const hadWebSocket = 'WebSocket' in globals;
let emulator: RunningMediaBrowserEmulator;

before(async () => {
  if (!hadWebSocket) globals.WebSocket = WsWebSocket;
  emulator = await startMediaBrowserEmulator({
    dialect: 'jellyfin',
    name: 'sdk-socket',
    synthetic: 'movies=2,shows=1,seasons=1,episodes=1',
    seed: 'x',
    quiet: true,
  });
});

after(async () => {
  await emulator?.close();
  if (!hadWebSocket) delete globals.WebSocket;
});

const movie = () => emulator.state.items.find((i) => i.Type === 'Movie' && i.RunTimeTicks)!;

/** Alice stops the movie at `percent` of its runtime; returns the movie's id and the position. */
async function stop(percent: number): Promise<{ id: string; ticks: number }> {
  const alice = emulator.users.find((u) => u.name === 'alice')!;
  const positionTicks = Math.round((movie().RunTimeTicks! * percent) / 100);
  const res = await fetch(`${emulator.url}/Sessions/Playing/Stopped`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Authorization: `MediaBrowser Token="${alice.token}", Client="tv", Device="tv", DeviceId="tv-1", Version="1"`,
    },
    body: JSON.stringify({ ItemId: movie().Id, PositionTicks: positionTicks }),
  });
  assert.equal(res.status, 204);
  return { id: movie().Id, ticks: positionTicks };
}

describe('@jellyfin/sdk websocket against the Jellyfin emulator', () => {
  it('keeps alive, gets Sessions and UserDataChanged, and reconnects after a drop', async () => {
    const api = new Jellyfin({ clientInfo: { name: 'Playhead Fidelity', version: '0.1.0' }, deviceInfo: { name: 'ci', id: 'sdk-socket' } }).createApi(
      emulator.url,
      emulator.apiKey,
      axios.create({ proxy: false }),
    );
    const received: Message[] = [];
    const unsubscribe = api.subscribe(['KeepAlive', 'Sessions', 'UserDataChanged'], (message) => received.push(message));
    try {
      await until('KeepAlive answer to the SDK', () => received.find((m) => m.MessageType === 'KeepAlive'));
      const sessions = await until('Sessions after SessionsStart', () => received.find((m) => m.MessageType === 'Sessions'));
      assert.ok(Array.isArray(sessions.Data));

      const first = await stop(40);
      const changed = await until('UserDataChanged', () => received.find((m) => m.MessageType === 'UserDataChanged'));
      assert.equal(changed.Data.UserDataList[0].ItemId, first.id);
      assert.equal(changed.Data.UserDataList[0].PlaybackPositionTicks, first.ticks);

      const dropped = await fetch(`${emulator.url}/__emulator/websockets/drop`, { method: 'POST' });
      assert.deepEqual(await dropped.json(), { dropped: 1 });
      const before = received.length;
      // The SDK reconnects after its first backoff (1 s) and re-sends SessionsStart.
      await until('Sessions after reconnecting', () => received.slice(before).find((m) => m.MessageType === 'Sessions'), 5000);
      const second = await stop(60);
      const again = await until('UserDataChanged after reconnecting', () =>
        received.slice(before).find((m) => m.MessageType === 'UserDataChanged' && m.Data.UserDataList[0].PlaybackPositionTicks === second.ticks),
      );
      assert.equal(again.Data.UserDataList[0].ItemId, second.id);
    } finally {
      unsubscribe();
    }
  });
});
