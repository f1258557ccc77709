// Jellyfin and Emby emulator events: the websocket (/socket, /embywebsocket) with ForceKeepAlive,
// KeepAlive, SessionsStart → Sessions, PlaybackStart/PlaybackStopped and UserDataChanged; who may
// connect; webhook posts (Jellyfin's Webhook plugin JSON, Emby's webhooks); the drop control.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { MbItem } from '../../emulators/mediabrowser/data.ts';
import { startMediaBrowserEmulator, type MediaBrowserDialect, type RunningMediaBrowserEmulator } from '../../emulators/mediabrowser/server.ts';
import { control, refusedStatus, SocketProbe, WebhookReceiver } from './events-helpers.ts';

const TICKS_PER_SECOND = 10_000_000;
const running: RunningMediaBrowserEmulator[] = [];
const probes: SocketProbe[] = [];
const receivers: WebhookReceiver[] = [];

afterEach(async () => {
  for (const probe of probes.splice(0)) probe.close();
  for (const emu of running.splice(0)) await emu.close();
  for (const receiver of receivers.splice(0)) await receiver.close();
});

async function start(dialect: MediaBrowserDialect): Promise<RunningMediaBrowserEmulator> {
  const emu = await startMediaBrowserEmulator({ dialect, name: 'home', synthetic: 'movies=3,shows=1,seasons=1,episodes=2', seed: 'events', quiet: true });
  running.push(emu);
  return emu;
}

const user = (emu: RunningMediaBrowserEmulator, name: string) => emu.users.find((u) => u.name === name)!;
const movie = (emu: RunningMediaBrowserEmulator): MbItem => emu.state.items.find((i) => i.Type === 'Movie' && i.RunTimeTicks)!;

function socketUrl(emu: RunningMediaBrowserEmulator, token: string): string {
  const base = emu.url.replace('http', 'ws');
  return emu.dialect === 'jellyfin' ? `${base}/socket?api_key=${token}&deviceId=probe` : `${base}/embywebsocket?api_key=${token}&deviceId=probe`;
}

async function openSocket(emu: RunningMediaBrowserEmulator, token = emu.apiKey): Promise<SocketProbe> {
  const probe = await SocketProbe.open(socketUrl(emu, token));
  probes.push(probe);
  return probe;
}

/** A player reporting as `who`, through the session routes both servers share. */
async function report(emu: RunningMediaBrowserEmulator, who: string, path: string, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${emu.url}${path}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Authorization: `MediaBrowser Token="${user(emu, who).token}", Client="Test Player", Device="Living room", DeviceId="tv-1", Version="1.0"`,
    },
    body: JSON.stringify(body),
  });
  assert.ok(res.status < 300, `${path} answered ${res.status}`);
}

const ofType = (type: string) => (frame: any) => frame.MessageType === type;

for (const dialect of ['jellyfin', 'emby'] as const) {
  describe(`${dialect} emulator: websocket`, () => {
    it('greets with ForceKeepAlive, answers KeepAlive, and sends Sessions after SessionsStart', async () => {
      const emu = await start(dialect);
      const probe = await openSocket(emu);
      const hello = await probe.next('ForceKeepAlive', ofType('ForceKeepAlive'));
      assert.equal(hello.Data, 60);
      // Jellyfin's outbound messages carry a MessageId; Emby's do not.
      assert.equal(typeof hello.MessageId, dialect === 'jellyfin' ? 'string' : 'undefined');
      probe.send({ MessageType: 'KeepAlive' });
      await probe.next('KeepAlive answer', ofType('KeepAlive'));
      await report(emu, 'alice', '/Sessions/Playing', { ItemId: movie(emu).Id, PositionTicks: 0 });
      probe.send({ MessageType: 'SessionsStart', Data: '0,1500' });
      const sessions = await probe.next('Sessions', ofType('Sessions'));
      const session = emu.state.sessions.find((s) => s.userId === user(emu, 'alice').id)!;
      assert.deepEqual(
        sessions.Data.map((s: any) => [s.Id, s.UserId, s.NowPlayingItem?.Id]),
        [[session.id, session.userId, movie(emu).Id]],
      );
      // Each playback report pushes Sessions again, until SessionsStop.
      let from = probe.frames.length;
      await report(emu, 'alice', '/Sessions/Playing/Progress', { ItemId: movie(emu).Id, PositionTicks: 10, IsPaused: true });
      const pushed = await probe.next('Sessions after a report', ofType('Sessions'), from);
      assert.equal(pushed.Data[0].PlayState.IsPaused, true);
      probe.send({ MessageType: 'SessionsStop' });
      probe.send({ MessageType: 'KeepAlive' });
      from = probe.frames.length;
      await probe.next('KeepAlive after SessionsStop', ofType('KeepAlive'), from);
      await report(emu, 'alice', '/Sessions/Playing/Stopped', { ItemId: movie(emu).Id, PositionTicks: 10 });
      await probe.next('PlaybackStopped', ofType('PlaybackStopped'), from);
      assert.equal(probe.frames.slice(from).filter(ofType('Sessions')).length, 0);
    });

    it('a stop sends PlaybackStopped and UserDataChanged with the stored position, to the user and API-key sockets only', async () => {
      const emu = await start(dialect);
      const keySocket = await openSocket(emu);
      const alice = await openSocket(emu, user(emu, 'alice').token);
      const bob = await openSocket(emu, user(emu, 'bob').token);
      const item = movie(emu);
      const position = Math.round(item.RunTimeTicks! * 0.4);
      await report(emu, 'alice', '/Sessions/Playing', { ItemId: item.Id, PositionTicks: 0 });
      const started = await keySocket.next('PlaybackStart', ofType('PlaybackStart'));
      assert.equal(started.Data.NowPlayingItem.Id, item.Id);
      assert.equal(started.Data.UserId, user(emu, 'alice').id);
      const from = keySocket.frames.length;
      await report(emu, 'alice', '/Sessions/Playing/Stopped', { ItemId: item.Id, PositionTicks: position });
      const stopped = await keySocket.next('PlaybackStopped', ofType('PlaybackStopped'), from);
      assert.equal(stopped.Data.UserId, user(emu, 'alice').id);
      const changed = await keySocket.next(
        'UserDataChanged',
        (f) => f.MessageType === 'UserDataChanged' && f.Data.UserDataList[0].PlaybackPositionTicks > 0,
        from,
      );
      assert.equal(changed.Data.UserId, user(emu, 'alice').id);
      assert.equal(changed.Data.UserDataList.length, 1);
      const data = changed.Data.UserDataList[0];
      assert.equal(data.ItemId, item.Id);
      assert.equal(data.PlaybackPositionTicks, position);
      assert.equal(data.PlaybackPositionTicks, emu.state.userData[user(emu, 'alice').id]![item.Id]!.PlaybackPositionTicks);
      assert.equal(data.Played, false);
      await alice.next(
        "UserDataChanged on alice's socket",
        (f) => f.MessageType === 'UserDataChanged' && f.Data.UserDataList[0].PlaybackPositionTicks === position,
      );
      assert.equal(bob.frames.filter((f) => f.MessageType === 'UserDataChanged' || f.MessageType === 'PlaybackStopped').length, 0);
    });

    it('marking a series played sends one UserDataChanged listing every episode', async () => {
      const emu = await start(dialect);
      const probe = await openSocket(emu);
      const series = emu.state.items.find((i) => i.Type === 'Series')!;
      const episodes = emu.state.items.filter((i) => i.Type === 'Episode').map((e) => e.Id);
      const alice = user(emu, 'alice');
      const path = dialect === 'jellyfin' ? `/UserPlayedItems/${series.Id}?userId=${alice.id}` : `/Users/${alice.id}/PlayedItems/${series.Id}`;
      const res = await fetch(emu.url + path, {
        method: 'POST',
        headers: { Authorization: `MediaBrowser Token="${alice.token}", Client="c", Device="d", DeviceId="x", Version="1"` },
      });
      assert.equal(res.status, 200);
      const changed = await probe.next('UserDataChanged', ofType('UserDataChanged'));
      assert.deepEqual(changed.Data.UserDataList.map((d: any) => d.ItemId).sort(), [...episodes].sort());
      assert.ok(changed.Data.UserDataList.every((d: any) => d.Played === true));
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(probe.frames.filter(ofType('UserDataChanged')).length, 1);
    });

    it('POST /__emulator/restart drops the sockets too', async () => {
      const emu = await start(dialect);
      const probe = await openSocket(emu);
      assert.equal((await control(emu.url, 'POST', '/__emulator/restart')).status, 200);
      assert.equal(await probe.closed, 1006);
    });

    it('refuses missing and unknown tokens with 401 and other paths with 404', async () => {
      const emu = await start(dialect);
      const base = emu.url.replace('http', 'ws');
      const path = dialect === 'jellyfin' ? '/socket' : '/embywebsocket';
      assert.equal(await refusedStatus(`${base}${path}`), 401);
      assert.equal(await refusedStatus(`${base}${path}?api_key=wrong`), 401);
      assert.equal(await refusedStatus(`${base}${dialect === 'jellyfin' ? '/embywebsocket' : '/socket'}?api_key=${emu.apiKey}`), 404);
      if (dialect === 'emby') {
        // Emby serves every route under /emby as well.
        const prefixed = await SocketProbe.open(`${base}/emby/embywebsocket?api_key=${emu.apiKey}&deviceId=x`);
        probes.push(prefixed);
        await prefixed.next('ForceKeepAlive under /emby', ofType('ForceKeepAlive'));
      }
      // A user token in the authorization header is enough too.
      const probe = await SocketProbe.open(`${base}${path}`, { Authorization: `MediaBrowser Token="${user(emu, 'alice').token}"` });
      probes.push(probe);
      await probe.next('ForceKeepAlive', ofType('ForceKeepAlive'));
    });

    it('POST /__emulator/websockets/drop cuts every socket; a new one gets the next change', async () => {
      const emu = await start(dialect);
      const probe = await openSocket(emu);
      assert.deepEqual(await control(emu.url, 'POST', '/__emulator/websockets/drop'), { status: 200, json: { dropped: 1 } });
      assert.equal(await probe.closed, 1006);
      const again = await openSocket(emu);
      await report(emu, 'alice', '/Sessions/Playing/Stopped', { ItemId: movie(emu).Id, PositionTicks: Math.round(movie(emu).RunTimeTicks! * 0.5) });
      await again.next('UserDataChanged after reconnect', ofType('UserDataChanged'));
    });
  });
}

async function receiverFor(emu: RunningMediaBrowserEmulator): Promise<WebhookReceiver> {
  const receiver = await WebhookReceiver.start();
  receivers.push(receiver);
  assert.equal((await control(emu.url, 'POST', '/__emulator/webhooks', { url: receiver.url })).status, 201);
  return receiver;
}

describe('jellyfin emulator: Webhook plugin posts', () => {
  it('posts PlaybackStart, PlaybackProgress, PlaybackStop and UserDataSaved as JSON with the plugin variables', async () => {
    const emu = await start('jellyfin');
    const receiver = await receiverFor(emu);
    const item = movie(emu);
    const alice = user(emu, 'alice');
    const position = Math.round(item.RunTimeTicks! * 0.5);
    await report(emu, 'alice', '/Sessions/Playing', { ItemId: item.Id, PositionTicks: 0, MediaSourceId: item.Id, PlayMethod: 'DirectPlay' });
    await report(emu, 'alice', '/Sessions/Playing/Progress', { ItemId: item.Id, PositionTicks: position, IsPaused: true });
    await report(emu, 'alice', '/Sessions/Playing/Stopped', { ItemId: item.Id, PositionTicks: position });
    await receiver.received(6);
    await emu.webhooks.settled();
    const playback = receiver.posts.filter((p) => p.payload.NotificationType.startsWith('Playback'));
    assert.deepEqual(
      playback.map((p) => p.payload.NotificationType),
      ['PlaybackStart', 'PlaybackProgress', 'PlaybackStop'],
    );
    const stop = playback[2]!;
    assert.equal(stop.contentType, 'application/json');
    assert.equal(stop.userAgent, 'Jellyfin-Server');
    assert.deepEqual(
      {
        ItemId: stop.payload.ItemId,
        ItemType: stop.payload.ItemType,
        UserId: stop.payload.UserId,
        NotificationUsername: stop.payload.NotificationUsername,
        PlaybackPositionTicks: stop.payload.PlaybackPositionTicks,
        PlayedToCompletion: stop.payload.PlayedToCompletion,
        ServerId: stop.payload.ServerId,
        DeviceId: stop.payload.DeviceId,
        ClientName: stop.payload.ClientName,
        MediaSourceId: stop.payload.MediaSourceId,
        PlayMethod: stop.payload.PlayMethod,
        IsAutomated: stop.payload.IsAutomated,
        RunTimeTicks: stop.payload.RunTimeTicks,
        Provider_imdb: stop.payload.Provider_imdb,
      },
      {
        ItemId: item.Id,
        ItemType: 'Movie',
        UserId: alice.id,
        NotificationUsername: 'alice',
        PlaybackPositionTicks: position,
        PlayedToCompletion: false,
        ServerId: emu.serverId,
        DeviceId: 'tv-1',
        ClientName: 'Test Player',
        // Reported at the start; the stop's post still carries them, as the session had them.
        MediaSourceId: item.Id,
        PlayMethod: 'DirectPlay',
        IsAutomated: false,
        RunTimeTicks: item.RunTimeTicks,
        Provider_imdb: item.ProviderIds.Imdb,
      },
    );
    assert.equal(playback[1]!.payload.IsPaused, true);
    assert.equal(stop.payload.PlaybackPosition, new Date((position / TICKS_PER_SECOND) * 1000).toISOString().slice(11, 19));
    const saved = receiver.posts.filter((p) => p.payload.NotificationType === 'UserDataSaved');
    assert.deepEqual(
      saved.map((p) => p.payload.SaveReason),
      ['PlaybackStart', 'PlaybackProgress', 'PlaybackFinished'],
    );
    const finished = saved.at(-1)!.payload;
    assert.deepEqual(
      [finished.ItemId, finished.UserId, finished.NotificationUsername, finished.PlaybackPositionTicks, finished.Played, finished.PlayCount],
      [item.Id, alice.id, 'alice', position, false, 1],
    );

    // A stop past the end counts as watched to the end.
    await report(emu, 'alice', '/Sessions/Playing/Stopped', { ItemId: item.Id, PositionTicks: item.RunTimeTicks });
    await emu.webhooks.settled();
    const last = receiver.posts.filter((p) => p.payload.NotificationType === 'PlaybackStop').at(-1)!;
    assert.equal(last.payload.PlayedToCompletion, true);
  });
});

describe('emby emulator: webhooks', () => {
  it('posts playback.start, pause, unpause and stop, and item.markplayed, with User, Item, Server and PlaybackInfo', async () => {
    const emu = await start('emby');
    const receiver = await receiverFor(emu);
    const item = movie(emu);
    const alice = user(emu, 'alice');
    const position = Math.round(item.RunTimeTicks! * 0.3);
    await report(emu, 'alice', '/Sessions/Playing', { ItemId: item.Id, PositionTicks: 0 });
    await report(emu, 'alice', '/Sessions/Playing/Progress', { ItemId: item.Id, PositionTicks: position - 100, IsPaused: false });
    await report(emu, 'alice', '/Sessions/Playing/Progress', { ItemId: item.Id, PositionTicks: position, IsPaused: true });
    await report(emu, 'alice', '/Sessions/Playing/Progress', { ItemId: item.Id, PositionTicks: position, IsPaused: false });
    await report(emu, 'alice', '/Sessions/Playing/Stopped', { ItemId: item.Id, PositionTicks: position });
    const res = await fetch(`${emu.url}/Users/${alice.id}/PlayedItems/${item.Id}`, { method: 'POST', headers: { 'X-Emby-Token': alice.token } });
    assert.equal(res.status, 200);
    const posts = await receiver.received(5);
    assert.deepEqual(
      posts.map((p) => p.payload.Event),
      ['playback.start', 'playback.pause', 'playback.unpause', 'playback.stop', 'item.markplayed'],
    );
    const stop = posts[3]!.payload;
    assert.equal(posts[3]!.contentType, 'application/json');
    assert.deepEqual(stop.User, { Name: 'alice', Id: alice.id });
    assert.equal(stop.Item.Id, item.Id);
    assert.equal(stop.Item.ProviderIds.Imdb, item.ProviderIds.Imdb);
    assert.deepEqual(stop.Server, { Name: emu.state.serverName, Id: emu.serverId, Version: emu.state.version });
    assert.deepEqual(stop.PlaybackInfo, { PositionTicks: position, PlayedToCompletion: false });
    assert.equal(stop.Session.DeviceId, 'tv-1');
    assert.equal(typeof stop.Title, 'string');
    assert.equal(posts[4]!.payload.Item.Id, item.Id);
    const unplayed = await fetch(`${emu.url}/Users/${alice.id}/PlayedItems/${item.Id}`, { method: 'DELETE', headers: { 'X-Emby-Token': alice.token } });
    assert.equal(unplayed.status, 200);
    const [, , , , , last] = await receiver.received(6);
    assert.equal(last!.payload.Event, 'item.markunplayed');
    assert.deepEqual(last!.payload.User, { Name: 'alice', Id: alice.id });
  });
});
