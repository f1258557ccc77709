// A simulated week for two people with a two-way Plex ⇄ Jellyfin pair each: they watch on either
// server, sometimes finish, sometimes start something new; Playhead syncs after every evening.
// Checked every day: both servers show each person's latest position (no regression), nothing is
// marked watched that the person did not finish there, a second sync writes nothing (no echo),
// and one person's progress never reaches the other. At the end, undo restores a run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { startPlexEmulator } from '../../emulators/plex/server.ts';
import { startMediaBrowserEmulator } from '../../emulators/mediabrowser/server.ts';
import type { Config } from '../../src/config/types.ts';
import { DEFAULT_PROGRESS_SETTINGS } from '../../src/core/pair.ts';
import { runAll } from '../../src/engine/run-all.ts';
import { undoRun } from '../../src/engine/undo.ts';
import { Store } from '../../src/store/store.ts';

const LIBRARY = 'movies=40,shows=2,seasons=2,episodes=5';
const SEED = 'week';
const TICKS = 10_000;
const DAY = 86_400_000;

/** A tiny deterministic generator, so the week is the same on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

test('a week of two people watching on Plex and Jellyfin, synced two-way every evening', async () => {
  const plex = await startPlexEmulator({ name: 'week-plex', synthetic: LIBRARY, seed: SEED, quiet: true });
  const jf = await startMediaBrowserEmulator({ dialect: 'jellyfin', name: 'week-jellyfin', synthetic: LIBRARY, seed: SEED, quiet: true });
  const store = Store.open(':memory:');
  try {
    const people = {
      sam: { plexAccount: 1, plexToken: plex.ownerToken, jf: jf.users.find((u) => u.name === 'admin')! },
      alice: { plexAccount: 2, plexToken: plex.state.accounts.find((a) => a.name === 'alice')!.token, jf: jf.users.find((u) => u.name === 'alice')! },
    };
    type Person = keyof typeof people;
    const settings = { ...DEFAULT_PROGRESS_SETTINGS };
    const config: Config = {
      providers: Object.fromEntries(
        (Object.keys(people) as Person[]).flatMap((p) => [
          [`plex-${p}`, { kind: 'plex', url: plex.url, token: people[p].plexToken, timeoutMs: 5000, retries: 1, maxConcurrentWrites: 4 }],
          [`jf-${p}`, { kind: 'jellyfin', url: jf.url, token: people[p].jf.token, timeoutMs: 5000, retries: 1, maxConcurrentWrites: 4 }],
        ]),
      ),
      pairs: (Object.keys(people) as Person[]).map((p) => ({
        name: p,
        source: `plex-${p}`,
        target: `jf-${p}`,
        mode: 'two-way' as const,
        features: { progress: settings },
      })),
      state: { path: ':memory:' },
      logLevel: 'silent',
    };
    // The same films on both servers, matched by imdb id.
    const films = plex.state.items
      .filter((i) => i.type === 'movie' && i.guids.length > 0 && i.durationMs)
      .map((m) => {
        const imdb = m.guids.find((g) => g.startsWith('imdb://'))?.slice(7);
        const twin = jf.state.items.find((j) => j.Type === 'Movie' && j.ProviderIds.Imdb === imdb);
        return twin ? { plexKey: m.ratingKey, jfId: twin.Id, durationMs: m.durationMs ?? 0, title: m.title } : undefined;
      })
      .filter((f): f is NonNullable<typeof f> => f !== undefined)
      .slice(0, 12);
    assert.ok(films.length >= 10);

    // What each person really did last, per film: the truth both servers must converge to.
    type Truth = { ms: number; finishedOn: Set<'plex' | 'jf'> };
    const truth: Record<Person, Map<string, Truth>> = { sam: new Map(), alice: new Map() };
    const random = rng(7);
    const start = Date.now() - 8 * DAY;
    const sync = async () => {
      const outcomes = await runAll({ config, store, log: pino({ level: 'silent' }), dryRun: false, providerOptions: { minBackoffMs: 1 } });
      for (const o of outcomes) assert.ok(o.ok && o.result.status === 'ok', o.ok ? JSON.stringify(o.result.counts) : o.error.message);
      return outcomes.flatMap((o) => (o.ok ? [o.result] : []));
    };
    const plexState = (p: Person, rk: string) => plex.state.userState[String(people[p].plexAccount)]?.[rk];
    const jfState = (p: Person, id: string) => jf.state.userData[people[p].jf.id]?.[id];

    for (let day = 0; day < 7; day++) {
      for (let event = 0; event < 4; event++) {
        const person: Person = random() < 0.5 ? 'sam' : 'alice';
        const film = films[Math.floor(random() * (person === 'sam' ? 6 : films.length))]!;
        const where = random() < 0.5 ? 'plex' : 'jf';
        const at = start + day * DAY + (18 + event) * 3_600_000 + Math.floor(random() * 1_800_000);
        const was = truth[person].get(film.plexKey)?.ms ?? 0;
        // Watch 10–50 minutes further; now and then rewind a bit or finish.
        const roll = random();
        let ms = roll < 0.1 ? Math.max(120_000, was - 600_000) : was + Math.floor((10 + random() * 40) * 60_000);
        const finished = roll > 0.9 || ms >= film.durationMs * 0.97;
        if (finished) ms = 0;
        const t = truth[person].get(film.plexKey) ?? { ms: 0, finishedOn: new Set() };
        if (finished) t.finishedOn.add(where);
        t.ms = ms;
        truth[person].set(film.plexKey, t);
        if (where === 'plex') {
          const users = (plex.state.userState[String(people[person].plexAccount)] ??= {});
          const prev = users[film.plexKey];
          users[film.plexKey] = finished
            ? { viewCount: (prev?.viewCount ?? 0) + 1, lastViewedAt: Math.floor(at / 1000) }
            : { ...(prev?.viewCount ? { viewCount: prev.viewCount } : {}), viewOffset: ms, lastViewedAt: Math.floor(at / 1000) };
        } else {
          const data = (jf.state.userData[people[person].jf.id] ??= {});
          const prev = data[film.jfId];
          data[film.jfId] = {
            PlaybackPositionTicks: ms * TICKS,
            PlayCount: (prev?.PlayCount ?? 0) + (finished ? 1 : 0),
            Played: finished || (prev?.Played ?? false),
            IsFavorite: false,
            LastPlayedDate: new Date(at).toISOString(),
          };
        }
      }
      await sync();
      // No echo: a second sync right after has nothing to do.
      const again = await sync();
      for (const r of again) assert.equal((r.counts.write ?? 0) + (r.counts.capped ?? 0), 0, `day ${day}: ${JSON.stringify(r.counts)}`);

      for (const person of Object.keys(people) as Person[]) {
        const other: Person = person === 'sam' ? 'alice' : 'sam';
        for (const film of films) {
          const t = truth[person].get(film.plexKey);
          const p = plexState(person, film.plexKey);
          const j = jfState(person, film.jfId);
          if (!t) {
            // Never watched by this person: nothing of the other person's may show up.
            assert.ok(!p?.viewOffset && !p?.viewCount, `day ${day}: ${person} has ${other}'s ${film.title} on Plex`);
            assert.ok(!j?.PlaybackPositionTicks && !j?.Played, `day ${day}: ${person} has ${other}'s ${film.title} on Jellyfin`);
            continue;
          }
          // No false watched flag: watched only where the person finished it.
          assert.equal(!!p?.viewCount, t.finishedOn.has('plex'), `day ${day}: ${person} ${film.title} watched on Plex`);
          assert.equal(!!j?.Played, t.finishedOn.has('jf'), `day ${day}: ${person} ${film.title} watched on Jellyfin`);
          if (t.ms === 0) continue;
          // No regression: both servers hold the latest position (capped near the end). A server
          // where the person finished the film keeps it watched (replay is off): positions from
          // the other side do not reach it (`already_watched`).
          const cap = Math.round(film.durationMs * 0.895);
          const expected = t.ms >= film.durationMs * 0.9 ? cap : t.ms;
          if (!t.finishedOn.has('plex'))
            assert.ok(Math.abs((p?.viewOffset ?? 0) - expected) <= 1000, `day ${day}: ${person} ${film.title} on Plex: ${p?.viewOffset} vs ${expected}`);
          if (!t.finishedOn.has('jf'))
            assert.ok(
              Math.abs((j?.PlaybackPositionTicks ?? 0) / TICKS - expected) <= 1000,
              `day ${day}: ${person} ${film.title} on Jellyfin: ${(j?.PlaybackPositionTicks ?? 0) / TICKS} vs ${expected}`,
            );
        }
      }
    }

    // Undo restores a run: the last run that wrote something is put back where nobody moved since.
    const lastWriting = store.runs({ limit: 100 }).find((r) => (r.counts.write ?? 0) + (r.counts.capped ?? 0) > 0);
    assert.ok(lastWriting, 'some run wrote');
    const journal = store.journal(lastWriting.id).filter((j) => j.status === 'confirmed');
    const undo = await undoRun({ config, store, log: pino({ level: 'silent' }), runId: lastWriting.id, dryRun: false, providerOptions: { minBackoffMs: 1 } });
    assert.equal(undo.status, 'ok');
    assert.equal((undo.counts.restore ?? 0) + (undo.counts.changed_since ?? 0), journal.length);
    assert.ok((undo.counts.restore ?? 0) > 0);
  } finally {
    store.close();
    await Promise.all([plex.close(), jf.close()]);
  }
});
