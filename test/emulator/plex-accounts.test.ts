// GET /accounts: the accounts that use the server, owner only, as PMS lists them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startPlexEmulator, type RunningPlexEmulator } from '../../emulators/plex/server.ts';
import { call, parseXml } from './plex-http.ts';

describe('Plex emulator: GET /accounts', () => {
  let emu: RunningPlexEmulator;
  before(async () => {
    emu = await startPlexEmulator({ name: 'home', synthetic: 'movies=2,shows=1,seasons=1,episodes=1', seed: 'accounts', quiet: true });
  });
  after(async () => emu.close());

  it("lists PMS's nameless id 0 row, then every account, for the owner (JSON)", async () => {
    const res = await call(emu.url, '/accounts', { token: emu.ownerToken });
    assert.equal(res.status, 200);
    const container = res.json.MediaContainer;
    assert.equal(container.identifier, 'com.plexapp.system.accounts');
    assert.equal(container.size, 4);
    assert.deepEqual(
      container.Account.map((a: { id: number; key: string; name: string }) => [a.id, a.key, a.name]),
      [
        [0, '/accounts/0', ''],
        [1, '/accounts/1', 'owner'],
        [2, '/accounts/2', 'alice'],
        [3, '/accounts/3', 'bob'],
      ],
    );
    assert.deepEqual(Object.keys(container.Account[1]).sort(), [
      'autoSelectAudio',
      'defaultAudioLanguage',
      'defaultSubtitleLanguage',
      'id',
      'key',
      'name',
      'subtitleMode',
      'thumb',
    ]);
    for (const account of emu.state.accounts) assert.ok(!res.text.includes(account.token), 'no token in the answer');
  });

  it('answers XML too, with "0"/"1" booleans', async () => {
    const res = await call(emu.url, '/accounts', { token: emu.ownerToken, json: false });
    assert.equal(res.status, 200);
    const rows = parseXml(res.text).MediaContainer.Account as { id: string; name: string; autoSelectAudio: string }[];
    assert.deepEqual(
      rows.map((r) => [r.id, r.name, r.autoSelectAudio]),
      [
        ['0', '', '1'],
        ['1', 'owner', '1'],
        ['2', 'alice', '1'],
        ['3', 'bob', '1'],
      ],
    );
  });

  it('follows the state: an added account appears', async () => {
    emu.state.accounts.push({ id: 41_234_567, name: 'Kids', token: 'kids-token-home' });
    try {
      const res = await call(emu.url, '/accounts', { token: emu.ownerToken });
      assert.deepEqual(res.json.MediaContainer.Account.at(-1), {
        id: 41_234_567,
        key: '/accounts/41234567',
        name: 'Kids',
        defaultAudioLanguage: 'en',
        autoSelectAudio: true,
        defaultSubtitleLanguage: 'en',
        subtitleMode: 0,
        thumb: '',
      });
    } finally {
      emu.state.accounts.pop();
    }
  });

  it('is owner only: 401 for other users and without a token', async () => {
    assert.equal((await call(emu.url, '/accounts', { token: 'alice-token-home' })).status, 401);
    assert.equal((await call(emu.url, '/accounts', { token: 'bob-token-home' })).status, 401);
    assert.equal((await call(emu.url, '/accounts', { token: null })).status, 401);
    assert.equal((await call(emu.url, '/accounts', { token: emu.ownerToken, method: 'POST' })).status, 405);
  });
});
