// `servers:` + `users:` + `sync:`: expansion into per-user providers and pairs, and every error
// naming file, line and path — without a token in any message.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigError } from '../../src/config/errors.ts';
import { parseConfig } from '../../src/config/load.ts';
import { userScopedName, USER_SEPARATOR } from '../../src/config/names.ts';
import { expectConfigError, only, edit } from '../support/config.ts';

const ENV = {
  PLEX_SAM: 'plex-sam-SECRET-1',
  PLEX_ALICE: 'plex-alice-SECRET-2',
  JELLYFIN_API_KEY: 'jf-key-SECRET-3',
  TRAKT_ID: 'trakt-id-SECRET-4',
  TRAKT_SECRET: 'trakt-secret-SECRET-5',
  JF_ALICE: 'jf-alice-SECRET-6',
};

// Line numbers are referred to in the tests below.
const USERS = [
  'servers:', // 1
  '  living-room: { kind: plex, url: http://10.0.0.1:32400/, libraries: [1, 2] }', // 2
  '  upstairs:    { kind: jellyfin, url: http://10.0.0.2:8096, token: "${JELLYFIN_API_KEY}" }', // 3
  '  trakt:       { kind: trakt, client_id: "${TRAKT_ID}", client_secret: "${TRAKT_SECRET}" }', // 4
  'users:', // 5
  '  sam:', // 6
  '    living-room: { token: "${PLEX_SAM}" }', // 7
  '    upstairs: { user: sam }', // 8
  '    trakt: {}', // 9
  '  alice:', // 10
  '    living-room: { token: "${PLEX_ALICE}", libraries: [1] }', // 11
  '    upstairs: { user: alice }', // 12
  'sync:', // 13
  '  - { source: living-room, target: upstairs, mode: two-way, features: { progress: { min_seconds: 0 } } }', // 14
  '  - { source: living-room, target: trakt }', // 15
  '', // 16
].join('\n');

const fail = (text: string, env: Record<string, string | undefined> = ENV): ConfigError => expectConfigError(text, env, Object.values(ENV));

describe('users: expansion', () => {
  it('gives each user a provider per server they have an account on, named server@user', () => {
    const c = parseConfig(USERS, 'playhead.yaml', ENV);
    assert.equal(USER_SEPARATOR, '@');
    assert.equal(userScopedName('living-room', 'alice'), 'living-room@alice');
    assert.deepEqual(Object.keys(c.providers), ['living-room@sam', 'upstairs@sam', 'trakt@sam', 'living-room@alice', 'upstairs@alice']);
    assert.deepEqual(c.providers['living-room@sam'], {
      kind: 'plex',
      url: 'http://10.0.0.1:32400',
      token: ENV.PLEX_SAM,
      libraries: ['1', '2'],
      timeoutMs: 15_000,
      retries: 3,
      maxConcurrentWrites: 4,
    });
    // A user's own `libraries` replaces the server's.
    const alicePlex = c.providers['living-room@alice'];
    assert.ok(alicePlex?.kind === 'plex');
    assert.deepEqual([alicePlex.token, alicePlex.libraries], [ENV.PLEX_ALICE, ['1']]);
    // The shared API key, acting for each user by name.
    assert.deepEqual(c.providers['upstairs@alice'], {
      kind: 'jellyfin',
      url: 'http://10.0.0.2:8096',
      token: ENV.JELLYFIN_API_KEY,
      user: 'alice',
      timeoutMs: 15_000,
      retries: 3,
      maxConcurrentWrites: 4,
    });
    // One Trakt instance per user: each keeps its own sign-in in the state.
    assert.deepEqual(c.providers['trakt@sam'], {
      kind: 'trakt',
      clientId: ENV.TRAKT_ID,
      clientSecret: ENV.TRAKT_SECRET,
      url: 'https://api.trakt.tv',
      authUrl: 'https://api.trakt.tv',
      timeoutMs: 15_000,
      retries: 3,
      writesPerSecond: 1,
    });
  });

  it("runs each sync entry once per user who has both servers, between that user's own providers", () => {
    const c = parseConfig(USERS, 'playhead.yaml', ENV);
    assert.deepEqual(
      c.pairs.map((p) => [p.name, p.source, p.target, p.mode, p.features.progress.minSeconds]),
      [
        ['living-room-to-upstairs@sam', 'living-room@sam', 'upstairs@sam', 'two-way', 0],
        ['living-room-to-trakt@sam', 'living-room@sam', 'trakt@sam', 'one-way', 60],
        ['living-room-to-upstairs@alice', 'living-room@alice', 'upstairs@alice', 'two-way', 0],
      ],
    );
    for (const pair of c.pairs) {
      const user = pair.name.split(USER_SEPARATOR)[1];
      assert.ok(pair.source.endsWith(`@${user}`) && pair.target.endsWith(`@${user}`), `${pair.name} stays within ${user}`);
    }
    // Settings are copied per user, not shared objects.
    assert.notEqual(c.pairs[0]?.features.progress, c.pairs[2]?.features.progress);
    assert.deepEqual(c.users, {
      sam: { providers: ['living-room@sam', 'upstairs@sam', 'trakt@sam'], pairs: ['living-room-to-upstairs@sam', 'living-room-to-trakt@sam'] },
      alice: { providers: ['living-room@alice', 'upstairs@alice'], pairs: ['living-room-to-upstairs@alice'] },
    });
  });

  it('a user without an account on a server gets no pair for it: a note, not an error', () => {
    const c = parseConfig(USERS, 'playhead.yaml', ENV);
    assert.deepEqual(c.notes, ['alice has no account on trakt, so sync[1] (living-room → trakt) does not run for alice']);
    const unused = parseConfig(edit(USERS, 15, '  - { source: upstairs, target: living-room, name: back }'), 'p.yaml', ENV);
    assert.ok(unused.notes?.includes("sam's account on trakt is in no sync pair"), JSON.stringify(unused.notes));
    assert.deepEqual(
      unused.pairs.map((p) => p.name),
      ['living-room-to-upstairs@sam', 'back@sam', 'living-room-to-upstairs@alice', 'back@alice'],
    );
  });

  it('named sync entries keep their name, with @user', () => {
    const c = parseConfig(edit(USERS, 15, '  - { name: to-trakt, source: living-room, target: trakt }'), 'p.yaml', ENV);
    assert.deepEqual(c.users?.sam?.pairs, ['living-room-to-upstairs@sam', 'to-trakt@sam']);
  });

  it('mixes with providers: and pairs:, which may use the generated providers of one user', () => {
    const text = `${USERS}providers:\n  cabin: { kind: emby, url: http://10.0.0.9:8096, token: "\${JF_ALICE}", user: alice }\npairs:\n  - { source: upstairs@alice, target: cabin }\n`;
    const c = parseConfig(text, 'p.yaml', ENV);
    assert.equal(c.pairs[0]?.name, 'upstairs@alice-to-cabin');
    assert.deepEqual([c.pairs[0]?.source, c.pairs[0]?.target], ['upstairs@alice', 'cabin']);
    assert.equal(c.pairs.length, 4);
    assert.equal(c.providers.cabin?.kind, 'emby');
  });

  it('Jellyfin users may give their own access token instead of a name', () => {
    const text = edit(edit(USERS, 3, '  upstairs:    { kind: jellyfin, url: http://10.0.0.2:8096 }'), 12, '    upstairs: { token: "${JF_ALICE}" }').replace(
      '    upstairs: { user: sam }',
      '    upstairs: { user: sam, token: "${JELLYFIN_API_KEY}" }',
    );
    const c = parseConfig(text, 'p.yaml', ENV);
    assert.deepEqual(c.providers['upstairs@alice'], {
      kind: 'jellyfin',
      url: 'http://10.0.0.2:8096',
      token: ENV.JF_ALICE,
      timeoutMs: 15_000,
      retries: 3,
      maxConcurrentWrites: 4,
    });
  });

  it('a plain config has no users and no notes', () => {
    const c = parseConfig(
      'providers:\n  a: { kind: plex, url: http://a:32400, token: "${PLEX_SAM}" }\n  b: { kind: plex, url: http://b:32400, token: "${PLEX_ALICE}" }\npairs:\n  - { source: a, target: b }\n',
      'p.yaml',
      ENV,
    );
    assert.equal(c.users, undefined);
    assert.equal(c.notes, undefined);
  });
});

describe('users: errors name file, line and path', () => {
  it('an unknown server in users.x, with a guess', () => {
    const err = fail(edit(USERS, 12, '    upstair: { user: alice }'));
    assert.equal(
      err.message,
      'playhead.yaml:12: users.alice.upstair: unknown server "upstair" (configured under servers: living-room, trakt, upstairs); did you mean "upstairs"?',
    );
  });

  it('a Plex entry without a token', () => {
    assert.deepEqual(only(fail(edit(USERS, 11, '    living-room: { libraries: [1] }'))), {
      path: 'users.alice.living-room.token',
      line: 11,
      message: "is required: alice's own Plex token (X-Plex-Token) for living-room; one token is one Plex account",
    });
    assert.equal(
      only(fail(edit(USERS, 11, '    living-room: yes'))).message,
      'must be a mapping with this user\'s Plex token, e.g. { token: "${PLEX_TOKEN_ALICE}" } (got text)',
    );
  });

  it("a Plex account_id is the account's id: a whole number, kept as text; anything else names the field", () => {
    const c = parseConfig(edit(USERS, 11, '    living-room: { token: "${PLEX_ALICE}", account_id: 24311111 }'), 'p.yaml', ENV);
    assert.equal(c.providers['living-room@alice']?.accountId, '24311111');
    assert.equal(
      parseConfig(edit(USERS, 11, '    living-room: { token: "${PLEX_ALICE}", account_id: " 7 " }'), 'p.yaml', ENV).providers['living-room@alice']?.accountId,
      '7',
    );
    for (const bad of ['alice', '-1', '1.5', '[1]']) {
      assert.deepEqual(only(fail(edit(USERS, 11, `    living-room: { token: "\${PLEX_ALICE}", account_id: ${bad} }`))), {
        path: 'users.alice.living-room.account_id',
        line: 11,
        message: "must be this token's Plex account id, a whole number such as 1 (playhead init writes it)",
      });
    }
    // One user's, so never under servers:.
    assert.equal(
      only(fail(edit(USERS, 2, '  living-room: { kind: plex, url: http://10.0.0.1:32400, account_id: 1 }'))).message,
      "an account id is one user's: give each user theirs under users.<user>.living-room.account_id",
    );
  });

  it('a Plex token under servers: belongs to a user', () => {
    assert.deepEqual(only(fail(edit(USERS, 2, '  living-room: { kind: plex, url: http://10.0.0.1:32400, token: "${PLEX_SAM}" }'))), {
      path: 'servers.living-room.token',
      line: 2,
      message: "a Plex token is one user's: give each user theirs under users.<user>.living-room.token",
    });
  });

  it('the same Plex token for two users: their progress would cross', () => {
    const err = fail(edit(USERS, 11, '    living-room: { token: "${PLEX_SAM}" }'));
    assert.deepEqual(only(err), {
      path: 'users.alice.living-room.token',
      line: 11,
      message:
        "the same token as users.sam.living-room.token: one Plex token is one Plex account, so sam's and alice's progress would cross; give each user their own token",
    });
    // Written literally, the token is still never echoed.
    const literal = fail(edit(edit(USERS, 7, '    living-room: { token: literal-SECRET-token }'), 11, '    living-room: { token: literal-SECRET-token }'));
    assert.ok(!literal.message.includes('literal-SECRET-token'));
    assert.equal(only(literal).path, 'users.alice.living-room.token');
  });

  it('the same Jellyfin user for two users (names compared as Jellyfin does)', () => {
    assert.deepEqual(only(fail(edit(USERS, 12, '    upstairs: { user: SAM }'))), {
      path: 'users.alice.upstairs.user',
      line: 12,
      message: "the same Jellyfin user as users.sam.upstairs.user: sam's and alice's progress would cross; give each user their own account",
    });
  });

  it('a Jellyfin user name is matched as a name: mary-jane loads, and is not maryjane', () => {
    const c = parseConfig(edit(USERS, 12, '    upstairs: { user: mary-jane }'), 'playhead.yaml', ENV);
    assert.equal(c.providers['upstairs@alice']?.user, 'mary-jane');
    // Two users whose names differ only by a dash are two accounts.
    const both = parseConfig(edit(edit(USERS, 8, '    upstairs: { user: maryjane }'), 12, '    upstairs: { user: mary-jane }'), 'playhead.yaml', ENV);
    assert.deepEqual([both.providers['upstairs@sam']?.user, both.providers['upstairs@alice']?.user], ['maryjane', 'mary-jane']);
  });

  it('a Jellyfin user id is one account however it is written (dashes, case)', () => {
    const id = '6f1c2a3b4c5d6e7f8091a2b3c4d5e6f7';
    const dashed = '6F1C2A3B-4C5D-6E7F-8091-A2B3C4D5E6F7';
    assert.deepEqual(only(fail(edit(edit(USERS, 8, `    upstairs: { user: ${id} }`), 12, `    upstairs: { user: ${dashed} }`))), {
      path: 'users.alice.upstairs.user',
      line: 12,
      message: "the same Jellyfin user as users.sam.upstairs.user: sam's and alice's progress would cross; give each user their own account",
    });
  });

  it('Jellyfin needs a user or a token per user; Emby needs a user; someone must hold a token', () => {
    assert.deepEqual(only(fail(edit(USERS, 12, '    upstairs: {}'))), {
      path: 'users.alice.upstairs',
      line: 12,
      message: "needs `user` (alice's Jellyfin user name or id, acted for with the API key in servers.upstairs.token) or `token` (alice's own access token)",
    });
    const emby = edit(USERS, 3, '  upstairs:    { kind: emby, url: http://10.0.0.2:8096, token: "${JELLYFIN_API_KEY}" }');
    assert.deepEqual(only(fail(edit(emby, 12, '    upstairs: { token: "${JF_ALICE}" }'))), {
      path: 'users.alice.upstairs.user',
      line: 12,
      message: "is required: Emby cannot tell whose token it is; give alice's Emby user name or id",
    });
    const keyless = edit(USERS, 3, '  upstairs:    { kind: jellyfin, url: http://10.0.0.2:8096 }');
    const err = fail(keyless);
    assert.deepEqual(
      err.issues.map((i) => [i.line, i.path]),
      [
        [8, 'users.sam.upstairs.token'],
        [12, 'users.alice.upstairs.token'],
      ],
    );
    assert.equal(
      err.issues[0]?.message,
      "is required: servers.upstairs has no token (an API key) to act for sam; set one there, or give sam's own access token here",
    );
  });

  it('`user:` under a Jellyfin server is per user', () => {
    assert.deepEqual(only(fail(edit(USERS, 3, '  upstairs:    { kind: jellyfin, url: http://10.0.0.2:8096, token: "${JELLYFIN_API_KEY}", user: sam }'))), {
      path: 'servers.upstairs.user',
      line: 3,
      message: 'users are chosen per user: put `user:` under users.<user>.upstairs',
    });
  });

  it('a Trakt entry takes no settings', () => {
    assert.deepEqual(only(fail(edit(USERS, 9, '    trakt: { token: abcdefgh }'))), {
      path: 'users.sam.trakt.token',
      line: 9,
      message: 'a Trakt entry takes no settings (leave it empty: {}); each user signs in to Trakt with `playhead auth trakt@sam`',
    });
    // `trakt:` with nothing after it means the same as {}.
    assert.equal(parseConfig(edit(USERS, 9, '    trakt:'), 'p.yaml', ENV).providers['trakt@sam']?.kind, 'trakt');
  });

  it('unknown keys in an entry list the allowed ones', () => {
    assert.deepEqual(only(fail(edit(USERS, 12, '    upstairs: { user: alice, tokn: x }'))), {
      path: 'users.alice.upstairs.tokn',
      line: 12,
      message: 'unknown key (allowed: user, token, libraries); did you mean "token"?',
    });
  });

  it('a missing variable in a user entry is reported once, under its variable', () => {
    const err = fail(USERS, { ...ENV, PLEX_ALICE: undefined });
    assert.deepEqual(only(err), { path: 'users.alice.living-room.token', line: 11, message: 'environment variable PLEX_ALICE is not set' });
  });

  it('sync entries must name two different known servers, with unique names', () => {
    assert.equal(
      fail(edit(USERS, 15, '  - { source: living-room, target: trackt }')).message,
      'playhead.yaml:15: sync[1].target: unknown server "trackt" (configured: living-room, trakt, upstairs)',
    );
    assert.deepEqual(only(fail(edit(USERS, 15, '  - { source: trakt, target: trakt }'))), {
      path: 'sync[1].target',
      line: 15,
      message: 'source and target are the same server (trakt); a pair syncs two different servers',
    });
    assert.deepEqual(only(fail(edit(USERS, 15, '  - { source: living-room, target: upstairs }'))), {
      path: 'sync[1]',
      line: 15,
      message: 'duplicate pair name "living-room-to-upstairs" (the default name, from source and target), also used by sync[0]; give each pair a unique name',
    });
  });

  it('a written pair may not join two users', () => {
    const text = `${USERS}pairs:\n  - { source: living-room@sam, target: upstairs@alice }\n`;
    assert.deepEqual(only(fail(text)), {
      path: 'pairs[0].target',
      line: 17,
      message: "living-room@sam is sam's and upstairs@alice is alice's: a pair may not carry one user's progress to another user",
    });
  });

  it('a written pair naming a server points at its providers', () => {
    const text = `${USERS}pairs:\n  - { source: living-room, target: upstairs@alice }\n`;
    assert.equal(
      only(fail(text)).message,
      'unknown provider "living-room" (configured: living-room@alice, living-room@sam, trakt@sam, upstairs@alice, upstairs@sam); ' +
        "living-room is a server: its users' providers are living-room@alice, living-room@sam (or pair servers under sync:)",
    );
  });

  it('names must not collide: a server and a provider; names may not contain @', () => {
    const text = `${USERS}providers:\n  upstairs: { kind: plex, url: http://x:32400, token: "\${PLEX_SAM}" }\n`;
    assert.deepEqual(only(fail(text)), {
      path: 'servers.upstairs',
      line: 3,
      message: '"upstairs" is also the name of a provider; give the server or the provider another name',
    });
    assert.deepEqual(only(fail(USERS.replace('  alice:', '  alice@home:'))), {
      path: 'users["alice@home"]',
      line: 10,
      message: 'user names may use lower-case letters, digits, "-" and "_", starting with a letter or digit',
    });
    const provider = `${USERS}providers:\n  cabin@sam: { kind: plex, url: http://x:32400, token: "\${PLEX_SAM}" }\n`;
    assert.equal(only(fail(provider)).path, 'providers["cabin@sam"]');
  });

  it('servers:, users: and sync: come together', () => {
    const noSync = USERS.slice(0, USERS.indexOf('sync:'));
    assert.deepEqual(only(fail(noSync)), {
      path: 'sync',
      line: 1,
      message: 'is required with servers: and users: (must be a list of server pairs (source and target))',
    });
    const emptySync = `${noSync}sync: []\n`;
    assert.deepEqual(only(fail(emptySync)), { path: 'sync', line: 13, message: 'must list at least one pair of servers (source and target)' });
  });

  it('nothing to run: no user has both servers of any pair', () => {
    const text = edit(edit(USERS, 14, '  - { source: upstairs, target: trakt }'), 15, '');
    const noTrakt = text.replace('    trakt: {}\n', ''); // sync: moves up to line 12
    assert.deepEqual(only(fail(noTrakt)), {
      path: 'sync',
      line: 12,
      message: 'no user has an account on both servers of any pair here, so there is nothing to sync',
    });
  });

  it('a Plex server with a bad kind or url is reported once, not per user', () => {
    const err = fail(edit(USERS, 2, '  living-room: { kind: plx, url: http://10.0.0.1:32400 }'));
    assert.deepEqual(
      err.issues.map((i) => [i.line, i.path]),
      [[2, 'servers.living-room.kind']],
    );
  });

  it('users and user entries must be mappings', () => {
    assert.deepEqual(only(fail(edit(edit(edit(USERS, 10, '  alice: 5'), 11, ''), 12, ''))), {
      path: 'users.alice',
      line: 10,
      message: "must be a mapping of server name to this user's account there (got a number)",
    });
  });
});
