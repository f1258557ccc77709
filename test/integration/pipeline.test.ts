// One path per write, one read per source: undo writes in the same order and at the same pace as
// sync, and a sync of several pairs sharing a source reads that source once.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseConfig } from '../../src/config/load.ts';
import { runAll } from '../../src/engine/run-all.ts';
import { undoRun } from '../../src/engine/undo.ts';
import { Store } from '../../src/store/store.ts';
import { startPlexEmulator } from '../../emulators/plex/server.ts';
import { isLegacy, items, nowS, progressOn, setFaults, setUserState, startPlexPair, twin, SYNTHETIC } from '../support/plex-pair.ts';

const log = pino({ level: 'silent' });

describe('undo writes like sync', () => {
  test('undo on a Plex target writes one at a time, oldest first (by the time of the value put back)', async () => {
    const p = await startPlexPair();
    try {
      const movies = items(p.source, 'movie')
        .filter((m) => !isLegacy(m))
        .slice(0, 4);
      const hour = 3600;
      // The target's older positions, at times out of listing order: put back oldest first.
      const beforeAt = [nowS() - 3 * 86_400, nowS() - 86_400, nowS() - 4 * 86_400, nowS() - 2 * 86_400];
      movies.forEach((m, i) => {
        progressOn(p.source, m, 0.5, nowS() - hour * (i + 1));
        const dst = twin(p.source, p.target, m.ratingKey);
        setUserState(p.target, dst.ratingKey, { viewOffset: Math.round((dst.durationMs ?? 0) * 0.1), lastViewedAt: beforeAt[i] });
      });
      const sync = await p.sync();
      assert.equal(sync.counts.write, 4, JSON.stringify(sync.counts));

      const latencyMs = 80;
      await setFaults(p.target, { latencyMs });
      const mark = p.target.requests.length;
      const undone = await undoRun({ config: p.config, store: p.store, log, runId: sync.runId!, dryRun: false, providerOptions: { minBackoffMs: 1 } });
      assert.deepEqual(undone.counts, { restore: 4 });
      const writes = p.target.requests.slice(mark).filter((r) => r.path === '/:/timeline');
      const expected = [2, 0, 3, 1].map((i) => twin(p.source, p.target, movies[i]!.ratingKey).ratingKey);
      assert.deepEqual(
        writes.map((r) => r.query.ratingKey),
        expected,
        'oldest first',
      );
      // One at a time: each write is answered (after the emulator's latency) before the next is sent.
      for (let i = 1; i < writes.length; i++)
        assert.ok(writes[i]!.at - writes[i - 1]!.at >= latencyMs - 5, `write ${i} came ${writes[i]!.at - writes[i - 1]!.at} ms after the previous one`);
    } finally {
      await p.close();
    }
  });
});

describe('shared reads', () => {
  test("three pairs from one Plex source read the source's listing once per sync", async () => {
    const source = await startPlexEmulator({ name: 'source-server', synthetic: SYNTHETIC, seed: 'test', quiet: true });
    const targets = await Promise.all([1, 2, 3].map((n) => startPlexEmulator({ name: `target-${n}`, synthetic: SYNTHETIC, seed: 'test', quiet: true })));
    const dir = mkdtempSync(join(tmpdir(), 'playhead-test-'));
    try {
      const movies = items(source, 'movie')
        .filter((m) => !isLegacy(m))
        .slice(0, 3);
      for (const m of movies) progressOn(source, m, 0.4);
      const yaml = [
        'providers:',
        `  src: { kind: plex, url: ${source.url}, token: ${source.ownerToken} }`,
        ...targets.map((t, i) => `  dst${i + 1}: { kind: plex, url: ${t.url}, token: ${t.ownerToken} }`),
        'pairs:',
        ...targets.map((_, i) => `  - { name: p${i + 1}, source: src, target: dst${i + 1}, features: { progress: { enable: true } } }`),
        `state: { path: ${join(dir, 'state.db')} }`,
        '',
      ].join('\n');
      const config = parseConfig(yaml, join(dir, 'playhead.yaml'), {});
      const store = Store.open(config.state.path);
      try {
        const outcomes = await runAll({ config, store, log, dryRun: false, providerOptions: { minBackoffMs: 1 } });
        for (const o of outcomes) {
          assert.ok(o.ok, o.ok ? '' : o.error.message);
          assert.equal(o.result.counts.write, 3, JSON.stringify(o.result.counts));
        }
        const listings = source.requests.filter((r) => /^\/library\/sections\/[^/]+\/all$/.test(r.path));
        assert.ok(listings.length > 0, 'the source was read');
        const pages = listings.map((r) => `${r.path}?${new URLSearchParams(r.query).toString()}`);
        assert.deepEqual(pages, [...new Set(pages)], 'no listing page read twice');
        for (const t of targets) assert.equal(t.requests.filter((r) => r.path === '/:/timeline').length, 3);
      } finally {
        store.close();
      }
    } finally {
      await Promise.all([source.close(), ...targets.map((t) => t.close())]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
