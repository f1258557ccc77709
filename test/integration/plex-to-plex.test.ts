// Plex → Plex, one-way, end to end over real HTTP against two emulators.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Decision } from '../../src/core/model.ts';
import {
  items,
  isLegacy,
  nowS,
  progressOn,
  setFaults,
  setUserState,
  startPlexPair,
  timelineWrites,
  twin,
  userState,
  type PlexPair,
} from '../support/plex-pair.ts';

const byTitle = (decisions: Decision[], title: string): Decision => {
  const d = decisions.find((x) => x.title === title);
  assert.ok(d, `no decision for ${title}; got ${decisions.map((x) => x.title).join(', ')}`);
  return d;
};

describe('Plex → Plex sync', () => {
  let p: PlexPair;
  before(async () => {
    p = await startPlexPair();
  });
  after(async () => p.close());

  test('writes land on the twin items, are confirmed, and a second run writes nothing', async () => {
    const movies = items(p.source, 'movie');
    const episodes = items(p.source, 'episode');
    const played = [progressOn(p.source, movies[0]!, 0.3), progressOn(p.source, movies[1]!, 0.55), progressOn(p.source, episodes[3]!, 0.4)];
    const legacy = movies.find(isLegacy);
    if (legacy) played.push(progressOn(p.source, legacy, 0.25));

    const first = await p.sync();
    assert.equal(first.status, 'ok');
    assert.equal(first.counts.write, played.length);
    for (const item of played) {
      const onTarget = twin(p.source, p.target, item.ratingKey);
      assert.equal(userState(p.target, onTarget.ratingKey)?.viewOffset, userState(p.source, item.ratingKey)?.viewOffset, `${item.title} position`);
      assert.ok(!userState(p.target, onTarget.ratingKey)?.viewCount, 'no watched flag');
    }
    for (const d of first.decisions) assert.equal(d.detail?.confirmed, true, `${d.title} confirmed`);
    assert.equal(p.store.journal(first.runId!).length, played.length);
    assert.ok(p.store.journal(first.runId!).every((j) => j.status === 'confirmed'));

    const mark = p.target.requests.length;
    const second = await p.sync();
    assert.equal(timelineWrites(p.target, mark), 0);
    assert.equal(second.counts.write ?? 0, 0);
    assert.equal(second.counts.unchanged, played.length);
  });

  test('the index is cached: a re-run refreshes incrementally instead of rescanning, and finds new items', async () => {
    // A film added to the target after the first run, then played on the source.
    const added = {
      ...items(p.target, 'movie')[0]!,
      ratingKey: '990001',
      title: 'Brand New Film',
      guid: 'plex://movie/0000000000000000000000bb',
      guids: ['imdb://tt9900001'],
      addedAt: Math.floor(Date.now() / 1000),
      updatedAt: Math.floor(Date.now() / 1000),
    };
    p.target.state.items.push(added);
    p.source.state.items.push({ ...added, ratingKey: '880001' });
    setUserState(p.source, '880001', { viewOffset: 900_000, lastViewedAt: nowS() - 60 });
    const mark = p.target.requests.length;
    const result = await p.sync();
    const listings = p.target.requests.slice(mark).filter((r) => r.path.endsWith('/all'));
    assert.ok(listings.length > 0);
    for (const r of listings) assert.ok('updatedAt>>' in r.query, `expected an incremental scan, got ${JSON.stringify(r.query)}`);
    assert.equal(result.decisions.find((d) => d.title === 'Brand New Film')?.reason, 'write');
    assert.equal(userState(p.target, '990001')?.viewOffset, 900_000);
  });

  test('writes identify us with one stable client identifier per installation', async () => {
    const id = p.store.getKv('installation_id');
    assert.ok(id);
    const writes = p.target.requests.filter((r) => r.path === '/:/timeline');
    assert.ok(writes.length > 0);
    const clients = new Set(writes.map((r) => r.clientIdentifier));
    assert.deepEqual([...clients], [`playhead-${id}`]);
  });

  test('server identity and libraries are remembered: a re-run does not ask for them again', async () => {
    const marks = [p.source.requests.length, p.target.requests.length] as const;
    await p.sync();
    const again = [...p.source.requests.slice(marks[0]), ...p.target.requests.slice(marks[1])].map((r) => r.path);
    assert.ok(!again.includes('/'), 'no GET /');
    assert.ok(!again.includes('/library/sections'), 'no GET /library/sections');
  });
});

describe('Plex → Plex skip reasons', () => {
  let p: PlexPair;
  let decisions: Decision[];
  const titles: Record<string, string> = {};
  before(async () => {
    p = await startPlexPair();
    const movies = items(p.source, 'movie').filter((m) => !isLegacy(m));
    const now = nowS();
    // below minimum
    setUserState(p.source, movies[0]!.ratingKey, { viewOffset: 59_000, lastViewedAt: now - 100 });
    titles.below = movies[0]!.title;
    // near complete: 96 % is past max_percent (95)
    progressOn(p.source, movies[1]!, 0.96);
    titles.near = movies[1]!.title;
    // capped: 92 % is past the target's own 90 % "watched" point, so it is written at 89.5 %
    progressOn(p.source, movies[9]!, 0.92);
    titles.capped = movies[9]!.title;
    // target newer: played on the target later, by more than the 30 s tolerance
    progressOn(p.source, movies[2]!, 0.5, now - 3600);
    setUserState(p.target, twin(p.source, p.target, movies[2]!.ratingKey).ratingKey, { viewOffset: 600_000, lastViewedAt: now - 60 });
    titles.newer = movies[2]!.title;
    // already watched on the target
    progressOn(p.source, movies[3]!, 0.5, now - 60);
    setUserState(p.target, twin(p.source, p.target, movies[3]!.ratingKey).ratingKey, { viewCount: 1, lastViewedAt: now - 7200 });
    titles.watched = movies[3]!.title;
    // playing now on the target, as the owner
    progressOn(p.source, movies[4]!, 0.5, now - 60);
    const playing = twin(p.source, p.target, movies[4]!.ratingKey);
    p.target.state.sessions.push({
      accountId: 1,
      ratingKey: playing.ratingKey,
      sessionKey: '42',
      state: 'playing',
      viewOffset: 1000,
      clientIdentifier: 'tv',
      startedAt: Date.now(),
      updatedAt: Date.now(),
    });
    titles.playing = movies[4]!.title;
    // unchanged: the target already holds it within 30 s
    progressOn(p.source, movies[5]!, 0.5, now - 60);
    const same = twin(p.source, p.target, movies[5]!.ratingKey);
    setUserState(p.target, same.ratingKey, { viewOffset: Math.round((same.durationMs ?? 0) * 0.5) - 20_000, lastViewedAt: now - 3000 });
    titles.unchanged = movies[5]!.title;
    // no external ids at all (a home video)
    const home = { ...movies[6]!, ratingKey: '777777', title: 'Home Video', guid: 'local://777777', guids: [] };
    p.source.state.items.push(home);
    setUserState(p.source, home.ratingKey, { viewOffset: 300_000, lastViewedAt: now - 60 });
    // on the source only (the target does not have this film)
    const only = {
      ...movies[7]!,
      ratingKey: '888888',
      title: 'Only Here',
      guid: 'plex://movie/0000000000000000000000aa',
      guids: ['imdb://tt9999991', 'tmdb://9999991'],
    };
    p.source.state.items.push(only);
    setUserState(p.source, only.ratingKey, { viewOffset: 300_000, lastViewedAt: now - 60 });
    // exactly at the minimum: written
    setUserState(p.source, movies[8]!.ratingKey, { viewOffset: 60_000, lastViewedAt: now - 60 });
    titles.exactlyMinimum = movies[8]!.title;

    const mark = p.target.requests.length;
    const result = await p.sync();
    decisions = result.decisions;
    assert.equal(timelineWrites(p.target, mark), 2, 'only the item at exactly 60 s and the capped one are written');
  });
  after(async () => p.close());

  const cases: [string, string][] = [
    ['below', 'below_minimum'],
    ['near', 'near_complete'],
    ['newer', 'target_newer'],
    ['watched', 'already_watched'],
    ['playing', 'playing_now'],
    ['unchanged', 'unchanged'],
  ];
  for (const [name, reason] of cases) {
    test(`${reason} is skipped with that reason`, () => {
      const d = byTitle(decisions, titles[name]!);
      assert.equal(d.action, 'skip');
      assert.equal(d.reason, reason);
    });
  }
  test('an item without external ids is missing_ids; one absent from the target is unresolved', () => {
    assert.equal(byTitle(decisions, 'Home Video').reason, 'missing_ids');
    assert.equal(byTitle(decisions, 'Only Here').reason, 'unresolved');
  });
  test('exactly 60 s is written', () => {
    assert.equal(byTitle(decisions, titles.exactlyMinimum!).reason, 'write');
  });
  test("past the target's watched point: written just below it (capped), and the target does not flag it watched", () => {
    const d = byTitle(decisions, titles.capped!);
    assert.equal(d.action, 'write');
    assert.equal(d.reason, 'capped');
    assert.equal(d.detail?.confirmed, true);
    const movie = items(p.source, 'movie').filter((m) => !isLegacy(m))[9]!;
    const onTarget = twin(p.source, p.target, movie.ratingKey);
    const state = userState(p.target, onTarget.ratingKey);
    assert.equal(state?.viewOffset, Math.round((onTarget.durationMs ?? 0) * 0.895));
    assert.ok(!state?.viewCount, 'not watched');
  });
});

describe('dry run', () => {
  test('plans the same decisions but writes nothing to the server or the database', async () => {
    const p = await startPlexPair();
    try {
      progressOn(p.source, items(p.source, 'movie')[0]!, 0.4);
      progressOn(p.source, items(p.source, 'episode')[0]!, 0.4);
      const targetBefore = JSON.stringify(p.target.state);
      const plan = await p.sync({ dryRun: true });
      assert.equal(plan.dryRun, true);
      assert.equal(plan.runId, undefined);
      assert.equal(plan.counts.write, 2);
      assert.equal(p.target.requests.filter((r) => r.method !== 'GET').length, 0, 'no write request');
      assert.equal(JSON.stringify(p.target.state), targetBefore);
      assert.deepEqual(p.store.counts(), { runs: 0, decisions: 0, items: 0, observations: 0, last_reads: 0, id_index: 0, journal: 0, kv: 0, pending: 0 });
      assert.equal(p.store.getKv('installation_id'), undefined, 'not even the installation id is stored');
      // The real run then does what the plan said.
      const real = await p.sync();
      assert.deepEqual(real.counts, plan.counts);
      assert.deepEqual(
        real.decisions.map((d) => [d.key, d.reason]),
        plan.decisions.map((d) => [d.key, d.reason]),
      );
    } finally {
      await p.close();
    }
  });
});

describe('failures', () => {
  test('a 5xx burst on writes is retried and the writes land', async () => {
    const p = await startPlexPair();
    try {
      progressOn(p.source, items(p.source, 'movie')[0]!, 0.4);
      progressOn(p.source, items(p.source, 'movie')[1]!, 0.4);
      await setFaults(p.target, { rules: [{ path: '/:/timeline', status: 503, count: 2 }] });
      const result = await p.sync();
      assert.equal(result.counts.write, 2);
      assert.equal(result.status, 'ok');
      assert.equal(timelineWrites(p.target), 4, 'two failed attempts, then two successful ones');
    } finally {
      await p.close();
    }
  });

  test('a write that keeps failing is recorded as failed and the others still land', async () => {
    const p = await startPlexPair();
    try {
      const movies = items(p.source, 'movie');
      const doomed = twin(p.source, p.target, progressOn(p.source, movies[0]!, 0.4).ratingKey);
      progressOn(p.source, movies[1]!, 0.4);
      progressOn(p.source, movies[2]!, 0.4);
      await setFaults(p.target, { rules: [{ path: '/:/timeline', query: { ratingKey: doomed.ratingKey }, status: 500 }] });
      const result = await p.sync();
      assert.equal(result.status, 'partial');
      assert.equal(result.counts.failed, 1);
      assert.equal(result.counts.write, 2);
      const failed = result.decisions.find((d) => d.reason === 'failed');
      assert.match(String(failed?.detail?.error), /dst: POST http:\/\/127\.0\.0\.1:\d+\/:\/timeline\?\S+ answered 500/);
      const journal = p.store.journal(result.runId!);
      assert.equal(journal.filter((j) => j.status === 'failed').length, 1);
      assert.equal(journal.filter((j) => j.status === 'confirmed').length, 2);
      assert.equal(p.store.run(result.runId!)?.status, 'partial');
    } finally {
      await p.close();
    }
  });

  for (const fault of [{ nonJson: true }, { truncate: true }] as const) {
    test(`a ${Object.keys(fault)[0]} body from the source fails the run with the server and path named, and writes nothing`, async () => {
      const p = await startPlexPair();
      try {
        progressOn(p.source, items(p.source, 'movie')[0]!, 0.4);
        await setFaults(p.source, { rules: [{ path: '/library/sections/1/all', ...fault }] });
        const [outcome] = await p.run();
        assert.ok(outcome && !outcome.ok);
        assert.match(outcome.error.message, /^src: GET http:\/\/127\.0\.0\.1:\d+\/library\/sections\/1\/all/);
        assert.equal(timelineWrites(p.target), 0);
        assert.equal(p.store.runs()[0]?.status, 'failed');
      } finally {
        await p.close();
      }
    });
  }

  test('an unknown library id is an error listing the real ones', async () => {
    const p = await startPlexPair({ sourceExtra: 'libraries: [1, 7]' });
    try {
      const [outcome] = await p.run();
      assert.ok(outcome && !outcome.ok);
      assert.match(outcome.error.message, /libraries 7 not found.*1 \(Movies, movie\), 2 \(TV Shows, show\)/);
    } finally {
      await p.close();
    }
  });
});

describe('large libraries', () => {
  test('every page is read exactly once, resume pages and index pages alike', async () => {
    const p = await startPlexPair({ synthetic: 'movies=2100,shows=0' });
    try {
      const movies = items(p.source, 'movie');
      for (const m of movies.slice(0, 450)) progressOn(p.source, m, 0.4);
      const result = await p.sync();
      assert.equal((result.counts.write ?? 0) + (result.counts.unresolved ?? 0), 450);
      assert.ok((result.counts.write ?? 0) >= 430, 'nearly all match (a few legacy-agent films share no id)');
      const sourcePages = p.source.requests.filter((r) => r.path === '/library/sections/1/all' && 'viewOffset>>' in r.query);
      assert.equal(sourcePages.length, 3, '450 resumable items = 3 pages of 200');
      const finishedPages = p.source.requests.filter((r) => r.path === '/library/sections/1/all' && 'lastViewedAt>>' in r.query);
      assert.equal(finishedPages.length, 1, 'nothing finished: one page of the finished read');
      const targetPages = p.target.requests.filter((r) => r.path === '/library/sections/1/all');
      assert.equal(targetPages.length, 5, '2100 films = 5 index pages of 500');
    } finally {
      await p.close();
    }
  });
});

describe('library whitelist', () => {
  test('only the listed sections are read', async () => {
    const p = await startPlexPair({ sourceExtra: 'libraries: [2]' });
    try {
      progressOn(p.source, items(p.source, 'movie')[0]!, 0.4);
      progressOn(p.source, items(p.source, 'episode')[0]!, 0.4);
      const result = await p.sync();
      assert.equal(result.decisions.length, 1);
      assert.equal(result.decisions[0]?.type, 'episode');
      assert.ok(!p.source.requests.some((r) => r.path === '/library/sections/1/all'));
    } finally {
      await p.close();
    }
  });
});

describe('two users of one server', () => {
  test('owner → alice on the same server uses the native ratingKey, with no index scan', async () => {
    const p = await startPlexPair();
    try {
      const alice = p.source.state.accounts.find((a) => a.name === 'alice');
      assert.ok(alice);
      const { parseConfig } = await import('../../src/config/load.ts');
      const { runAll } = await import('../../src/engine/run-all.ts');
      const { createLogger } = await import('../../src/cli/log.ts');
      const yaml = [
        'providers:',
        `  owner: { kind: plex, url: ${p.source.url}, token: owner-token }`,
        `  alice: { kind: plex, url: ${p.source.url}, token: alice-token }`,
        'pairs:',
        '  - { name: share, source: owner, target: alice }',
        `state: { path: ${p.dir}/share.db }`,
      ].join('\n');
      const config = parseConfig(yaml.replace('owner-token', p.source.ownerToken).replace('alice-token', alice.token), 'share.yaml', {});
      const movie = progressOn(p.source, items(p.source, 'movie')[0]!, 0.5);
      const mark = p.source.requests.length;
      const [outcome] = await runAll({ config, store: p.store, log: createLogger({ level: 'silent' }), dryRun: false });
      assert.ok(outcome?.ok);
      assert.equal(outcome.result.counts.write, 1);
      assert.equal(userState(p.source, movie.ratingKey, alice.id)?.viewOffset, userState(p.source, movie.ratingKey)?.viewOffset);
      const listings = p.source.requests.slice(mark).filter((r) => r.path.endsWith('/all'));
      // The resumable listing and the finished read (`lastViewedAt>>=`) only: no index scan.
      const scans = listings.filter((r) => !('viewOffset>>' in r.query) && !('lastViewedAt>>' in r.query));
      assert.equal(scans.length, 0, 'no external-id index needed');
    } finally {
      await p.close();
    }
  });
});

describe('legacy agents', () => {
  /** Turns a show and its seasons/episodes into legacy TheTVDB-agent items (no Guid children). */
  function makeLegacyShow(server: PlexPair['source'], showKey: string): void {
    const show = server.state.items.find((i) => i.ratingKey === showKey);
    assert.ok(show);
    const tvdb = show.guids.find((g) => g.startsWith('tvdb://'))?.slice('tvdb://'.length);
    assert.ok(tvdb, 'the synthetic show has a tvdb id');
    show.guid = `com.plexapp.agents.thetvdb://${tvdb}?lang=en`;
    show.guids = [];
    for (const item of server.state.items) {
      if (item.type === 'season' && item.parentRatingKey === showKey) {
        item.guid = `com.plexapp.agents.thetvdb://${tvdb}/${item.index}?lang=en`;
        item.guids = [];
      }
      if (item.type === 'episode' && item.grandparentRatingKey === showKey) {
        item.guid = `com.plexapp.agents.thetvdb://${tvdb}/${item.parentIndex}/${item.index}?lang=en`;
        item.guids = [];
      }
    }
  }

  for (const legacySide of ['target', 'source'] as const) {
    test(`an episode is matched by the show's tvdb id + season/episode when the ${legacySide} uses the legacy TheTVDB agent`, async () => {
      const p = await startPlexPair();
      try {
        const episode = items(p.source, 'episode').find((e) => e.parentIndex === 2 && e.index === 3);
        assert.ok(episode);
        const targetEpisode = twin(p.source, p.target, episode.ratingKey);
        if (legacySide === 'target') makeLegacyShow(p.target, targetEpisode.grandparentRatingKey!);
        else makeLegacyShow(p.source, episode.grandparentRatingKey!);
        progressOn(p.source, episode, 0.45);
        const result = await p.sync();
        assert.equal(result.counts.write, 1, JSON.stringify(result.decisions));
        assert.match(result.decisions[0]!.key, /#s02e03$/);
        assert.equal(userState(p.target, targetEpisode.ratingKey)?.viewOffset, userState(p.source, episode.ratingKey)?.viewOffset);
      } finally {
        await p.close();
      }
    });
  }
});

describe('rewatch and Continue Watching order', () => {
  test('replay: a target that has the item watched is unwatched first, then written; the journal keeps what it was', async () => {
    const p = await startPlexPair({ progress: 'replay: true' });
    try {
      const movie = items(p.source, 'movie').filter((m) => !isLegacy(m))[0]!;
      const onTarget = twin(p.source, p.target, movie.ratingKey);
      setUserState(p.target, onTarget.ratingKey, { viewCount: 2, lastViewedAt: nowS() - 86_400 });
      progressOn(p.source, movie, 0.3, nowS() - 600);
      const result = await p.sync();
      assert.equal(result.counts.write, 1, JSON.stringify(result.decisions));
      assert.equal(result.decisions[0]?.detail?.unwatchFirst, true);
      const calls = p.target.requests.filter((r) => r.method !== 'GET').map((r) => r.path);
      assert.deepEqual(calls, ['/:/unscrobble', '/:/timeline']);
      const state = userState(p.target, onTarget.ratingKey);
      assert.equal(state?.viewOffset, Math.round((onTarget.durationMs ?? 0) * 0.3));
      assert.ok(!state?.viewCount);
      const [journal] = p.store.journal(result.runId!);
      assert.deepEqual({ watched: journal?.previous.watched, playCount: journal?.previous.playCount }, { watched: true, playCount: 2 });
    } finally {
      await p.close();
    }
  });

  test('without replay the same item is skipped as already_watched and nothing is written', async () => {
    const p = await startPlexPair();
    try {
      const movie = items(p.source, 'movie').filter((m) => !isLegacy(m))[0]!;
      setUserState(p.target, twin(p.source, p.target, movie.ratingKey).ratingKey, { viewCount: 2, lastViewedAt: nowS() - 86_400 });
      progressOn(p.source, movie, 0.3, nowS() - 600);
      const result = await p.sync();
      assert.deepEqual(result.counts, { already_watched: 1 });
      assert.equal(p.target.requests.filter((r) => r.method !== 'GET').length, 0);
    } finally {
      await p.close();
    }
  });

  test('writes go out oldest first by source time, so Plex (which stamps "now") lists the newest first', async () => {
    const p = await startPlexPair();
    try {
      const movies = items(p.source, 'movie').filter((m) => !isLegacy(m));
      const times = [nowS() - 60, nowS() - 7200, nowS() - 600, nowS() - 86_400];
      for (const [i, m] of movies.slice(0, 4).entries()) progressOn(p.source, m, 0.3, times[i]);
      await p.sync();
      const order = p.target.requests.filter((r) => r.path === '/:/timeline').map((r) => r.query.ratingKey);
      const expected = [3, 1, 2, 0].map((i) => twin(p.source, p.target, movies[i]!.ratingKey).ratingKey);
      assert.deepEqual(order, expected);
    } finally {
      await p.close();
    }
  });
});

describe('clears (remove: true)', () => {
  /** Syncs `n` films once, so the store has seen them with positions. */
  async function synced(n: number, progress = 'remove: true') {
    const p = await startPlexPair({ progress });
    const movies = items(p.source, 'movie')
      .filter((m) => !isLegacy(m))
      .slice(0, n);
    for (const m of movies) progressOn(p.source, m, 0.4, nowS() - 3600);
    const first = await p.sync();
    assert.equal(first.counts.write, n);
    return { p, movies };
  }
  /** What a player leaves when the user removes the position: none, not watched, a newer time. */
  const clearOnSource = (p: PlexPair, rk: string, at = nowS() - 60) => setUserState(p.source, rk, { lastViewedAt: at });

  test('a position cleared on the source (explicitly: none now, not watched, newer time) is cleared on the target and confirmed', async () => {
    const { p, movies } = await synced(3);
    try {
      const gone = movies[0]!;
      clearOnSource(p, gone.ratingKey);
      const result = await p.sync();
      const d = result.decisions.find((x) => x.title === gone.title);
      assert.equal(d?.action, 'clear');
      assert.equal(d?.reason, 'clear');
      assert.equal(d?.detail?.confirmed, true);
      assert.equal(userState(p.target, twin(p.source, p.target, gone.ratingKey).ratingKey)?.viewOffset, undefined);
      assert.equal(result.counts.unchanged, 2);
      const journal = p.store.journal(result.runId!);
      assert.deepEqual(
        journal.map((j) => [j.value.progressMs, j.status]),
        [[0, 'confirmed']],
      );
      assert.ok((journal[0]?.previous.progressMs ?? 0) > 0, 'the journal keeps the position it removed');
      // Handled once: the next run has nothing to clear.
      const again = await p.sync();
      assert.deepEqual(again.counts, { unchanged: 2 });
    } finally {
      await p.close();
    }
  });

  test('absence is never a clear: an item that merely left the list, or whose time did not move, stays', async () => {
    const { p, movies } = await synced(3);
    try {
      // Removed without a newer time (e.g. a partial or odd read).
      setUserState(p.source, movies[0]!.ratingKey, {});
      // Deleted from the source library altogether.
      p.source.state.items.splice(
        p.source.state.items.findIndex((i) => i.ratingKey === movies[1]!.ratingKey),
        1,
      );
      const result = await p.sync();
      assert.deepEqual(result.counts, { unchanged: 1 });
      assert.equal(p.target.requests.filter((r) => r.method !== 'GET').length, 3, 'only the first run wrote');
    } finally {
      await p.close();
    }
  });

  test('a source read that fails produces no clears (the run fails, nothing is written)', async () => {
    const { p, movies } = await synced(3);
    try {
      clearOnSource(p, movies[0]!.ratingKey);
      await setFaults(p.source, { rules: [{ path: '/library/sections/1/all', status: 500 }] });
      const [outcome] = await p.run();
      assert.ok(outcome && !outcome.ok);
      assert.equal(p.target.requests.filter((r) => r.path === '/:/unscrobble').length, 0);
      assert.ok(userState(p.target, twin(p.source, p.target, movies[0]!.ratingKey).ratingKey)?.viewOffset);
    } finally {
      await p.close();
    }
  });

  test('without remove: true nothing is cleared', async () => {
    const { p, movies } = await synced(2, 'remove: false');
    try {
      clearOnSource(p, movies[0]!.ratingKey);
      const result = await p.sync();
      assert.deepEqual(result.counts, { unchanged: 1 });
      assert.ok(userState(p.target, twin(p.source, p.target, movies[0]!.ratingKey).ratingKey)?.viewOffset);
    } finally {
      await p.close();
    }
  });

  test('a list that shrank suspiciously produces no clears, even with signals', async () => {
    const { p, movies } = await synced(24);
    try {
      for (const m of movies.slice(0, 14)) clearOnSource(p, m.ratingKey);
      const result = await p.sync();
      assert.deepEqual(result.counts, { unchanged: 10 });
      assert.equal(p.target.requests.filter((r) => r.path === '/:/unscrobble').length, 0);
    } finally {
      await p.close();
    }
  });

  test('a target played after the clear keeps its position (target_newer)', async () => {
    const { p, movies } = await synced(2);
    try {
      clearOnSource(p, movies[0]!.ratingKey, nowS() - 3000);
      setUserState(p.target, twin(p.source, p.target, movies[0]!.ratingKey).ratingKey, { viewOffset: 900_000, lastViewedAt: nowS() - 60 });
      const result = await p.sync();
      assert.equal(result.decisions.find((d) => d.title === movies[0]!.title)?.reason, 'target_newer');
      assert.equal(p.target.requests.filter((r) => r.path === '/:/unscrobble').length, 0);
    } finally {
      await p.close();
    }
  });
});

describe('unresolved and failing items across runs', () => {
  test('an item missing on the target is kept as unresolved and written once it appears there', async () => {
    const p = await startPlexPair();
    try {
      const film = items(p.source, 'movie').filter((m) => !isLegacy(m))[0]!;
      const newFilm = {
        ...film,
        ratingKey: '660001',
        title: 'Arrives Later',
        guid: 'plex://movie/0000000000000000000000ee',
        guids: ['imdb://tt9600001'],
        addedAt: nowS(),
        updatedAt: nowS(),
      };
      p.source.state.items.push(newFilm);
      setUserState(p.source, '660001', { viewOffset: 1_200_000, lastViewedAt: nowS() - 600 });
      const first = await p.sync();
      assert.equal(first.decisions.find((d) => d.title === 'Arrives Later')?.reason, 'unresolved');
      assert.deepEqual(
        p.store.pending().map((r) => [r.title, r.kind, r.attempts]),
        [['Arrives Later', 'unresolved', 1]],
      );
      // The film is added to the target's library.
      p.target.state.items.push({ ...newFilm, ratingKey: '550001', addedAt: nowS() + 1, updatedAt: nowS() + 1 });
      const second = await p.sync();
      assert.equal(second.decisions.find((d) => d.title === 'Arrives Later')?.reason, 'write');
      assert.equal(userState(p.target, '550001')?.viewOffset, 1_200_000);
      assert.deepEqual(p.store.pending(), []);
    } finally {
      await p.close();
    }
  });

  test('an item failing run after run is parked with its last error (and not tried while parked); a new position retries it', async () => {
    const p = await startPlexPair();
    try {
      const film = items(p.source, 'movie').filter((m) => !isLegacy(m))[0]!;
      const onTarget = twin(p.source, p.target, film.ratingKey);
      progressOn(p.source, film, 0.4, nowS() - 600);
      await setFaults(p.target, { rules: [{ path: '/:/timeline', query: { ratingKey: onTarget.ratingKey }, status: 500 }] });
      for (let run = 1; run <= 5; run++) {
        const r = await p.sync();
        assert.equal(r.counts.failed, 1, `run ${run}`);
      }
      const [parked] = p.store.pending();
      assert.equal(parked?.parked, true);
      assert.equal(parked?.attempts, 5);
      assert.match(parked?.lastError ?? '', /answered 500/);
      const before = timelineWrites(p.target);
      const sixth = await p.sync();
      assert.equal(sixth.decisions[0]?.reason, 'parked');
      assert.equal(timelineWrites(p.target), before, 'no write attempt while parked');
      // The person watches further: a new case, tried at once (and it works now).
      await setFaults(p.target, { rules: [] });
      progressOn(p.source, film, 0.5, nowS() - 60);
      const seventh = await p.sync();
      assert.equal(seventh.decisions[0]?.reason, 'write');
      assert.deepEqual(p.store.pending(), []);
    } finally {
      await p.close();
    }
  });
});
