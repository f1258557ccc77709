// Plex emulator events: the notifications websocket (`playing` frames on /:/timeline, `timeline`
// entries on played-state changes), owner-only admission, webhooks to registered URLs, and the
// control that drops every socket.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { PlexItem } from '../../emulators/plex/data.ts';
import { startPlexEmulator, type RunningPlexEmulator } from '../../emulators/plex/server.ts';
import { control, refusedStatus, SocketProbe, WebhookReceiver } from './events-helpers.ts';
import { call } from './plex-http.ts';

const SPEC = 'movies=4,shows=1,seasons=1,episodes=2';
const ALICE = 'alice-token-home';
const CLIENT = 'living-room-tv';

let emu: RunningPlexEmulator;
let receiver: WebhookReceiver;
const probes: SocketProbe[] = [];

beforeEach(async () => {
  emu = await startPlexEmulator({ name: 'home', synthetic: SPEC, seed: 'events', quiet: true });
  receiver = await WebhookReceiver.start();
});

afterEach(async () => {
  for (const probe of probes.splice(0)) probe.close();
  await emu.close();
  await receiver.close();
});

const socketUrl = (token: string, path = '/:/websockets/notifications') => `${emu.url.replace('http', 'ws')}${path}?X-Plex-Token=${token}`;

async function openSocket(token = emu.ownerToken): Promise<SocketProbe> {
  const probe = await SocketProbe.open(socketUrl(token));
  probes.push(probe);
  return probe;
}

function movie(): PlexItem {
  const item = emu.state.items.find((i) => i.type === 'movie');
  assert.ok(item?.durationMs);
  return item;
}

async function timeline(item: PlexItem, state: string, time: number, token = emu.ownerToken) {
  const query = new URLSearchParams({
    ratingKey: item.ratingKey,
    key: `/library/metadata/${item.ratingKey}`,
    state,
    time: String(time),
    duration: String(item.durationMs),
  });
  const res = await call(emu.url, `/:/timeline?${query}`, {
    method: 'POST',
    token,
    headers: { 'X-Plex-Client-Identifier': CLIENT, 'X-Plex-Device-Name': 'Living room' },
  });
  assert.equal(res.status, 200);
}

const playing = (state: string) => (frame: any) =>
  frame.NotificationContainer?.type === 'playing' && frame.NotificationContainer.PlaySessionStateNotification[0].state === state;

describe('Plex emulator: notifications websocket', () => {
  it('sends a playing frame per timeline report, with the session key /status/sessions shows, and ends the session on stop', async () => {
    const probe = await openSocket();
    const item = movie();
    await timeline(item, 'playing', 60_000, ALICE);
    const started = await probe.next('playing frame', playing('playing'));
    const sessions = (await call(emu.url, '/status/sessions', { token: emu.ownerToken })).json.MediaContainer;
    assert.equal(sessions.size, 1);
    const session = sessions.Metadata[0];
    assert.deepEqual(started, {
      NotificationContainer: {
        type: 'playing',
        size: 1,
        PlaySessionStateNotification: [
          {
            sessionKey: session.sessionKey,
            clientIdentifier: CLIENT,
            guid: '',
            ratingKey: item.ratingKey,
            url: '',
            key: `/library/metadata/${item.ratingKey}`,
            viewOffset: 60_000,
            playQueueItemID: 0,
            state: 'playing',
          },
        ],
      },
    });
    // Alice's session is mapped to her through /status/sessions, as a trigger must do.
    assert.equal(session.User.title, 'alice');

    await timeline(item, 'paused', 90_000, ALICE);
    const paused = (await probe.next('paused frame', playing('paused'))).NotificationContainer.PlaySessionStateNotification[0];
    assert.equal(paused.sessionKey, session.sessionKey);
    assert.equal(paused.viewOffset, 90_000);

    await timeline(item, 'stopped', 95_000, ALICE);
    const stopped = (await probe.next('stopped frame', playing('stopped'))).NotificationContainer.PlaySessionStateNotification[0];
    assert.equal(stopped.sessionKey, session.sessionKey);
    assert.equal(stopped.viewOffset, 95_000);
    assert.equal((await call(emu.url, '/status/sessions', { token: emu.ownerToken })).json.MediaContainer.size, 0);
    const aliceId = emu.state.accounts.find((a) => a.token === ALICE)!.id;
    assert.equal(emu.state.userState[String(aliceId)]?.[item.ratingKey]?.viewOffset, 95_000);
  });

  it('sends timeline entries for the leaves whose played state /:/scrobble and /:/unscrobble changed', async () => {
    const probe = await openSocket();
    const show = emu.state.items.find((i) => i.type === 'show')!;
    const episodes = emu.state.items.filter((i) => i.type === 'episode').map((e) => e.ratingKey);
    const res = await call(emu.url, `/:/scrobble?identifier=com.plexapp.plugins.library&key=${show.ratingKey}`, { token: emu.ownerToken });
    assert.equal(res.status, 200);
    const frame = await probe.next('timeline frame', (f) => f.NotificationContainer?.type === 'timeline');
    const entries = frame.NotificationContainer.TimelineEntry;
    assert.equal(frame.NotificationContainer.size, episodes.length);
    assert.deepEqual(entries.map((e: any) => e.itemID).sort(), [...episodes].sort());
    for (const entry of entries) {
      assert.equal(entry.identifier, 'com.plexapp.plugins.library');
      assert.equal(entry.type, 4);
      assert.equal(entry.state, 5);
      assert.equal(entry.sectionID, show.sectionId);
    }
    const before = probe.frames.length;
    await call(emu.url, `/:/unscrobble?identifier=com.plexapp.plugins.library&key=${episodes[0]}`, { token: emu.ownerToken });
    const unplayed = await probe.next('unscrobble timeline frame', (f) => f.NotificationContainer?.type === 'timeline', before);
    assert.deepEqual(
      unplayed.NotificationContainer.TimelineEntry.map((e: any) => e.itemID),
      [episodes[0]],
    );
  });

  it('admits only the owner token (query or header) and refuses shared users and strangers with 401', async () => {
    assert.equal(await refusedStatus(socketUrl(ALICE)), 401);
    assert.equal(await refusedStatus(socketUrl('nobody')), 401);
    assert.equal(await refusedStatus(`${emu.url.replace('http', 'ws')}/:/websockets/notifications`), 401);
    assert.equal(await refusedStatus(`${emu.url.replace('http', 'ws')}/library/sections?X-Plex-Token=${emu.ownerToken}`), 404);
    const header = await SocketProbe.open(`${emu.url.replace('http', 'ws')}/:/websockets/notifications`, { 'X-Plex-Token': emu.ownerToken });
    probes.push(header);
    const singular = await SocketProbe.open(socketUrl(emu.ownerToken, '/:/websocket/notifications'));
    probes.push(singular);
    await timeline(movie(), 'playing', 1000);
    await header.next('frame on the header-token socket', playing('playing'));
    await singular.next('frame on the singular path', playing('playing'));
  });

  it('POST /__emulator/websockets/drop cuts every socket abnormally; a reconnect gets the next events', async () => {
    const first = await openSocket();
    const second = await openSocket();
    const dropped = await control(emu.url, 'POST', '/__emulator/websockets/drop');
    assert.deepEqual(dropped, { status: 200, json: { dropped: 2 } });
    assert.equal(await first.closed, 1006);
    assert.equal(await second.closed, 1006);
    const again = await openSocket();
    await timeline(movie(), 'paused', 5000);
    await again.next('frame after reconnect', playing('paused'));
  });

  it('POST /__emulator/restart drops the sockets too', async () => {
    const probe = await openSocket();
    assert.equal((await control(emu.url, 'POST', '/__emulator/restart')).status, 200);
    assert.equal(await probe.closed, 1006);
  });

  it('closing the emulator closes its sockets', async () => {
    const probe = await openSocket();
    await emu.close();
    assert.equal(await probe.closed, 1006);
    emu = await startPlexEmulator({ name: 'home', synthetic: SPEC, seed: 'events', quiet: true });
  });
});

describe('Plex emulator: webhooks', () => {
  it('posts multipart payloads for play, pause, resume, scrobble and stop to every registered URL', async () => {
    const added = await control(emu.url, 'POST', '/__emulator/webhooks', { url: receiver.url });
    assert.equal(added.status, 201);
    assert.deepEqual(added.json, { id: 1, url: receiver.url });
    const item = movie();
    await timeline(item, 'playing', 1000, ALICE);
    await timeline(item, 'playing', 2000, ALICE); // progress: no event
    await timeline(item, 'paused', 3000, ALICE);
    await timeline(item, 'playing', 4000, ALICE);
    await timeline(item, 'stopped', item.durationMs! - 1000, ALICE);
    const posts = await receiver.received(5);
    assert.deepEqual(
      posts.map((p) => p.payload.event),
      ['media.play', 'media.pause', 'media.resume', 'media.scrobble', 'media.stop'],
    );
    const alice = emu.state.accounts.find((a) => a.token === ALICE)!;
    for (const post of posts) {
      assert.match(post.contentType, /^multipart\/form-data; boundary=/);
      assert.deepEqual(post.parts, ['payload']);
      const { payload } = post;
      assert.equal(payload.user, false); // a shared user's play, seen through the owner's webhook
      assert.equal(payload.owner, true);
      assert.deepEqual(payload.Account, { id: alice.id, title: alice.name });
      assert.deepEqual(payload.Server, { title: emu.state.friendlyName, uuid: emu.machineIdentifier });
      assert.deepEqual(payload.Player, { local: true, publicAddress: '127.0.0.1', title: 'Living room', uuid: CLIENT });
      assert.equal(payload.Metadata.ratingKey, item.ratingKey);
      assert.equal(payload.Metadata.key, `/library/metadata/${item.ratingKey}`);
      assert.equal(payload.Metadata.type, 'movie');
      assert.equal(payload.Metadata.librarySectionID, Number(item.sectionId));
      assert.ok(Array.isArray(payload.Metadata.Guid));
    }
    // The item as the library shows it to Alice at that moment: paused at 3 s, played at the end.
    assert.equal(posts[1]!.payload.Metadata.viewOffset, 3000);
    assert.equal(posts[4]!.payload.Metadata.viewCount, 1);
  });

  it('lists, removes and clears registered URLs; removed URLs get nothing more', async () => {
    const other = await WebhookReceiver.start();
    try {
      await control(emu.url, 'POST', '/__emulator/webhooks', { url: receiver.url });
      await control(emu.url, 'POST', '/__emulator/webhooks', { url: other.url });
      assert.equal((await control(emu.url, 'POST', '/__emulator/webhooks', { url: 'ftp://x' })).status, 400);
      const listed = await control(emu.url, 'GET', '/__emulator/webhooks');
      assert.deepEqual(listed.json.webhooks, [
        { id: 1, url: receiver.url },
        { id: 2, url: other.url },
      ]);
      assert.deepEqual(await control(emu.url, 'DELETE', '/__emulator/webhooks/1'), { status: 200, json: { ok: true } });
      assert.equal((await control(emu.url, 'DELETE', '/__emulator/webhooks/1')).status, 404);
      await timeline(movie(), 'playing', 1000);
      await other.received(1);
      await emu.webhooks.settled();
      assert.equal(receiver.posts.length, 0);
      assert.deepEqual((await control(emu.url, 'GET', '/__emulator/webhooks')).json.deliveries, [{ id: 2, url: other.url, event: 'media.play', status: 200 }]);
      await control(emu.url, 'DELETE', '/__emulator/webhooks');
      assert.deepEqual((await control(emu.url, 'GET', '/__emulator/webhooks')).json.webhooks, []);

      // A URL nobody listens on: the attempt is recorded with status 0 and the error.
      const gone = other.url;
      await other.close();
      await control(emu.url, 'POST', '/__emulator/webhooks', { url: gone });
      await timeline(movie(), 'stopped', 2000);
      await emu.webhooks.settled();
      const failed = (await control(emu.url, 'GET', '/__emulator/webhooks')).json.deliveries.at(-1);
      assert.equal(failed.event, 'media.stop');
      assert.equal(failed.status, 0);
      assert.equal(typeof failed.error, 'string');
    } finally {
      await other.close();
    }
  });
});
