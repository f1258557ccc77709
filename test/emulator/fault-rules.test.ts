// The fault rules and control routes the fault suite added (emulators/common/faults.ts and
// control.ts), on the Plex emulator: Retry-After on a status reply, a slow body, half a body,
// the clock offset, a restart that forgets sessions, and deleting one item.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { startPlexEmulator, type RunningPlexEmulator } from '../../emulators/plex/server.ts';

describe('emulator fault rules and control routes', () => {
  let emu: RunningPlexEmulator;
  const get = (path: string) => request(`${emu.url}${path}`, { headers: { 'X-Plex-Token': emu.ownerToken, Accept: 'application/json' } });
  const controlCall = async (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) => {
    const res = await request(`${emu.url}/__emulator/${path}`, { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  };

  before(async () => {
    emu = await startPlexEmulator({ name: 'fault-rules', synthetic: 'movies=3,shows=0', seed: 'fault-rules', quiet: true });
  });
  after(() => emu.close());

  test('a status rule with retryAfter sends Retry-After', async () => {
    await controlCall('POST', 'faults', { rules: [{ path: '/identity', status: 429, retryAfter: 7, count: 1 }] });
    const res = await get('/identity');
    await res.body.text();
    assert.equal(res.statusCode, 429);
    assert.equal(res.headers['retry-after'], '7');
  });

  test('slowBodyMs sends the headers at once and the body later', async () => {
    await controlCall('POST', 'faults', { rules: [{ path: '/identity', slowBodyMs: 300, count: 1 }] });
    const started = Date.now();
    const res = await get('/identity');
    const headersAfter = Date.now() - started;
    const body = await res.body.text();
    const bodyAfter = Date.now() - started;
    assert.equal(res.statusCode, 200);
    // The body waited for its delay after the headers had arrived.
    assert.ok(bodyAfter - headersAfter >= 200, `headers after ${headersAfter} ms, body after ${bodyAfter} ms`);
    assert.match(body, /machineIdentifier/);
  });

  test('halfBody sends half the body, cleanly ended, with a matching length', async () => {
    const whole = await (await get('/identity')).body.text();
    await controlCall('POST', 'faults', { rules: [{ path: '/identity', halfBody: true, count: 1 }] });
    const res = await get('/identity');
    const half = await res.body.text();
    assert.equal(half, whole.slice(0, Math.floor(whole.length / 2)));
    assert.equal(res.headers['content-length'], String(Buffer.byteLength(half)));
    assert.throws(() => JSON.parse(half));
  });

  test('a rule needs a fault, and the clock offset must be an integer', async () => {
    assert.equal((await controlCall('POST', 'faults', { rules: [{ path: '/x', retryAfter: 3 }] })).status, 400);
    assert.equal((await controlCall('POST', 'clock', { offsetMs: 'soon' })).status, 400);
  });

  test('the clock offset moves the emulator clock', async () => {
    const { body } = await controlCall('POST', 'clock', { offsetMs: 3_600_000 });
    assert.equal(body.offsetMs, 3_600_000);
    assert.ok(Math.abs(Number(body.now) - (Date.now() + 3_600_000)) < 5_000);
    await controlCall('DELETE', 'requests');
    await (await get('/identity')).body.text();
    const log = (await (await request(`${emu.url}/__emulator/requests`)).body.json()) as { at: number }[];
    assert.ok(log[0]!.at > Date.now() + 3_500_000, 'the request log uses the skewed clock');
    await controlCall('POST', 'clock', { offsetMs: 0 });
  });

  test('restart forgets every session; the library stays', async () => {
    const movie = emu.state.items.find((i) => i.type === 'movie')!;
    emu.state.sessions.push({
      accountId: 1,
      ratingKey: movie.ratingKey,
      sessionKey: '1',
      state: 'playing',
      viewOffset: 1000,
      clientIdentifier: 'tv',
      startedAt: Date.now(),
      updatedAt: Date.now(),
    });
    const items = emu.state.items.length;
    assert.equal((await controlCall('POST', 'restart')).status, 200);
    assert.deepEqual(emu.state.sessions, []);
    assert.equal(emu.state.items.length, items);
  });

  test('deleting an item removes it and its user state; a second delete is 404', async () => {
    const movie = emu.state.items.find((i) => i.type === 'movie')!;
    emu.state.userState['1'] = { [movie.ratingKey]: { viewOffset: 5000 } };
    assert.equal((await controlCall('DELETE', `items/${movie.ratingKey}`)).status, 200);
    assert.equal(
      emu.state.items.some((i) => i.ratingKey === movie.ratingKey),
      false,
    );
    assert.equal(emu.state.userState['1']?.[movie.ratingKey], undefined);
    assert.equal((await controlCall('DELETE', `items/${movie.ratingKey}`)).status, 404);
  });
});
