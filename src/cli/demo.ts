// `playhead demo`: two Plex servers (the bundled emulator) holding the same library under
// different ratingKeys, a household watching on one of them through the same HTTP calls a Plex
// app makes, then a real plan and sync to the other, narrated. No external server needed.
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import Table from 'cli-table3';
import { parseConfig } from '../core/config.ts';
import { formatDuration } from '../core/time.ts';
import { runAll } from '../engine/run-all.ts';
import { Store } from '../store/store.ts';
import { startPlexEmulator, type RunningPlexEmulator } from '../../emulators/plex/server.ts';
import { createLogger } from './main.ts';
import { countsLine, runReport } from './output.ts';

const SYNTHETIC = 'movies=400,shows=12,seasons=3,episodes=10';
const SEED = 'demo-household';

interface Household {
  owner: string;
  alice: string;
}

function tokensOf(emulator: RunningPlexEmulator): Household {
  const find = (name: string) => emulator.state.accounts.find((a) => a.name === name)?.token;
  const alice = find('alice');
  if (!alice) throw new Error('demo: the synthetic library has no "alice" account');
  return { owner: emulator.ownerToken, alice };
}

/** A fake wall clock shared by both servers, so "earlier" and "later" plays are minutes apart. */
class DemoClock {
  t = Date.now() - 6 * 3600 * 1000;
  now = (): number => this.t;
  pass(minutes: number): void {
    this.t += minutes * 60 * 1000;
  }
}

/** Reports playback exactly as a Plex app does: a timeline call with the user's token. */
async function timeline(server: RunningPlexEmulator, token: string, ratingKey: string, state: 'playing' | 'stopped', timeMs: number, durationMs: number): Promise<void> {
  const q = new URLSearchParams({ ratingKey, key: `/library/metadata/${ratingKey}`, state, time: String(timeMs), duration: String(durationMs), identifier: 'com.plexapp.plugins.library' });
  const res = await request(`${server.url}/:/timeline?${q}`, { method: 'POST', headers: { 'X-Plex-Token': token, 'X-Plex-Client-Identifier': 'demo-living-room-tv' } });
  await res.body.dump();
  if (res.statusCode !== 200) throw new Error(`demo: timeline ${state} for ${ratingKey} answered ${res.statusCode}`);
}

async function scrobble(server: RunningPlexEmulator, token: string, ratingKey: string): Promise<void> {
  const res = await request(`${server.url}/:/scrobble?key=${ratingKey}&identifier=com.plexapp.plugins.library`, { method: 'PUT', headers: { 'X-Plex-Token': token } });
  await res.body.dump();
}

/** The same film on both servers, by its external ids (ratingKeys differ per server). */
function twin(from: RunningPlexEmulator, to: RunningPlexEmulator, ratingKey: string): string {
  const item = from.state.items.find((i) => i.ratingKey === ratingKey);
  const ids = new Set(item?.guids ?? []);
  const match = to.state.items.find((i) => i.type === item?.type && i.guids.some((g) => ids.has(g)));
  if (!match) throw new Error(`demo: no twin for ${ratingKey}`);
  return match.ratingKey;
}

function positionOn(server: RunningPlexEmulator, accountId: number, ratingKey: string): string {
  const s = server.state.userState[String(accountId)]?.[ratingKey];
  if (!s) return '—';
  const parts = [];
  if (s.viewOffset) parts.push(formatDuration(s.viewOffset));
  if (s.viewCount) parts.push('watched');
  return parts.join(', ') || '—';
}

function requestsByRoute(server: RunningPlexEmulator, from: number): string {
  const counts = new Map<string, number>();
  for (const r of server.requests.slice(from)) {
    const route = r.path.replace(/\/library\/metadata\/[^/]+/, '/library/metadata/{ids}').replace(/\/library\/sections\/\d+/, '/library/sections/{id}');
    const label = `${r.method} ${route}`;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts].map(([k, v]) => `${v}× ${k}`).join(', ') || 'none';
}

export async function runDemo(opts: { json: boolean }): Promise<number> {
  const out = (line = '') => process.stdout.write(`${line}\n`);
  const clock = new DemoClock();
  const dir = mkdtempSync(join(tmpdir(), 'playhead-demo-'));
  const emulators: RunningPlexEmulator[] = [];
  try {
    const living = await startPlexEmulator({ name: 'living-room', synthetic: SYNTHETIC, seed: SEED, now: clock.now, quiet: true });
    emulators.push(living);
    const upstairs = await startPlexEmulator({ name: 'upstairs', synthetic: SYNTHETIC, seed: SEED, now: clock.now, quiet: true });
    emulators.push(upstairs);
    // This household set Plex's "Video played threshold" to 98 % in the living room.
    living.state.playedThresholdPercent = 98;
    const lr = tokensOf(living);
    const up = tokensOf(upstairs);
    const ownerId = living.state.accounts.find((a) => a.token === lr.owner)?.id ?? 1;
    const aliceId = living.state.accounts.find((a) => a.token === lr.alice)?.id ?? 2;

    out('Playhead demo: two Plex servers on this machine (bundled emulators), one library each.');
    out(`  living-room  ${living.url}  machineIdentifier ${living.machineIdentifier}`);
    out(`  upstairs     ${upstairs.url}  machineIdentifier ${upstairs.machineIdentifier}`);
    out(`  Same ${SYNTHETIC.replace(/,/g, ', ')} on both, under different ratingKeys, like two real servers.`);
    out();

    const movies = living.state.items.filter((i) => i.type === 'movie' && i.guids.length > 0 && i.durationMs);
    const episodes = living.state.items.filter((i) => i.type === 'episode' && i.durationMs);
    const pick = (list: typeof movies, n: number) => list[n] as (typeof movies)[number];
    const scenario: { who: string; title: string; rk: string; accountId: number; note: string }[] = [];
    const play = async (who: keyof Household, item: (typeof movies)[number], fraction: number, note: string) => {
      const duration = item.durationMs ?? 0;
      const timeMs = typeof fraction === 'number' && fraction > 1 ? fraction : Math.round(duration * fraction);
      await timeline(living, lr[who], item.ratingKey, 'stopped', timeMs, duration);
      scenario.push({ who, title: item.title, rk: item.ratingKey, accountId: who === 'owner' ? ownerId : aliceId, note });
      clock.pass(7);
    };

    out('1. The household watches in the living room (POST /:/timeline, as a Plex app reports a stop):');
    // Things that upstairs already knows about, set up first so they are older.
    const watchedUpstairs = pick(movies, 5);
    await scrobble(upstairs, up.owner, twin(living, upstairs, watchedUpstairs.ratingKey));
    clock.pass(30);
    for (let i = 0; i < 4; i++) await play('owner', pick(movies, i), 0.2 + i * 0.15, 'to sync');
    for (let i = 0; i < 3; i++) await play('owner', pick(episodes, i * 10), 0.3 + i * 0.2, 'to sync');
    await play('owner', pick(movies, 4), 40_000, '40 s in: just a peek');
    await play('owner', watchedUpstairs, 0.25, 'already watched upstairs');
    await play('owner', pick(movies, 6), 0.93, 'credits rolling');
    await play('owner', pick(movies, 7), 0.4, 'someone watches on upstairs later');
    await play('owner', pick(movies, 8), 0.5, 'is playing upstairs right now');
    for (let i = 9; i < 11; i++) await play('alice', pick(movies, i), 0.15 + i * 0.05, 'alice, to sync');
    await play('alice', pick(episodes, 40), 0.6, 'alice, to sync');
    // A home video that exists only in the living room and has no external ids.
    living.state.items.push({ ...pick(movies, 12), ratingKey: '999999', title: 'Birthday 2019 (home video)', guid: 'local://999999', guids: [] });
    living.state.userState[String(ownerId)] = { ...living.state.userState[String(ownerId)], '999999': { viewOffset: 600_000, lastViewedAt: Math.floor(clock.now() / 1000) } };
    scenario.push({ who: 'owner', title: 'Birthday 2019 (home video)', rk: '999999', accountId: ownerId, note: 'no external ids' });
    // Upstairs: a later play of movie 7, and movie 8 playing now.
    clock.pass(20);
    const later = twin(living, upstairs, pick(movies, 7).ratingKey);
    await timeline(upstairs, up.owner, later, 'stopped', Math.round((pick(movies, 7).durationMs ?? 0) * 0.7), pick(movies, 7).durationMs ?? 0);
    await timeline(upstairs, up.owner, twin(living, upstairs, pick(movies, 8).ratingKey), 'playing', 60_000, pick(movies, 8).durationMs ?? 0);
    for (const s of scenario) out(`   ${s.who.padEnd(5)} ${s.title.padEnd(40)} ${positionOn(living, s.accountId, s.rk).padEnd(10)} ${s.note}`);
    out();

    // Config exactly as a user writes it; tokens come from the environment, never the file.
    const yaml = [
      'providers:',
      `  living-room:       { kind: plex, url: ${living.url}, token: \${LIVING_ROOM_TOKEN} }`,
      `  upstairs:          { kind: plex, url: ${upstairs.url}, token: \${UPSTAIRS_TOKEN} }`,
      `  living-room-alice: { kind: plex, url: ${living.url}, token: \${LIVING_ROOM_ALICE_TOKEN} }`,
      `  upstairs-alice:    { kind: plex, url: ${upstairs.url}, token: \${UPSTAIRS_ALICE_TOKEN} }`,
      'pairs:',
      '  - { name: owner, source: living-room, target: upstairs, features: { progress: { enable: true, min_seconds: 60, delta_seconds: 30, max_percent: 95 } } }',
      '  - { name: alice, source: living-room-alice, target: upstairs-alice }',
      `state: { path: ${join(dir, 'playhead.db')} }`,
      '',
    ].join('\n');
    const configPath = join(dir, 'playhead.yaml');
    writeFileSync(configPath, yaml);
    chmodSync(configPath, 0o600);
    const env = { LIVING_ROOM_TOKEN: lr.owner, UPSTAIRS_TOKEN: up.owner, LIVING_ROOM_ALICE_TOKEN: lr.alice, UPSTAIRS_ALICE_TOKEN: up.alice };
    const config = parseConfig(yaml, configPath, env);
    out('2. The config (playhead.yaml; tokens come from the environment):');
    for (const line of yaml.trim().split('\n')) out(`   ${line}`);
    out();

    const store = Store.open(config.state.path);
    const log = createLogger({ level: 'error' });
    try {
      const mark = () => [living.requests.length, upstairs.requests.length] as const;
      out('3. `playhead plan` — what would happen, and why, without writing anything:');
      for (const o of await runAll({ config, store, log, dryRun: true })) if (o.ok) out(runReport(o.result, 30));
      out(`   Database after the plan: ${store.runs().length} runs recorded (a dry run leaves no trace).`);
      out();

      out('4. `playhead sync` — write, confirm by re-reading, record:');
      const before = mark();
      const first = await runAll({ config, store, log, dryRun: false });
      for (const o of first) if (o.ok) out(runReport(o.result, 30));
      out(`   Requests to living-room: ${requestsByRoute(living, before[0])}`);
      out(`   Requests to upstairs:    ${requestsByRoute(upstairs, before[1])}`);
      out();

      out('5. Upstairs now resumes where the living room stopped:');
      const table = new Table({ head: ['Who', 'Item', 'Living room', 'Upstairs'], style: { head: [], border: [] } });
      for (const s of scenario) {
        const other = s.rk === '999999' ? undefined : twin(living, upstairs, s.rk);
        table.push([s.who, s.title, positionOn(living, s.accountId, s.rk), other ? positionOn(upstairs, s.accountId, other) : '(not on this server)']);
      }
      out(table.toString());
      const synced = scenario.filter((s) => s.note.endsWith('to sync'));
      const mismatched = synced.filter((s) => positionOn(living, s.accountId, s.rk) !== positionOn(upstairs, s.accountId, twin(living, upstairs, s.rk)));
      out(mismatched.length === 0 ? `   All ${synced.length} items to sync now resume at the same second upstairs.` : `   MISMATCH: ${mismatched.map((m) => m.title).join(', ')}`);
      out();

      out('6. A second sync finds nothing to do:');
      const again = mark();
      const second = await runAll({ config, store, log, dryRun: false });
      const writes = second.reduce((n, o) => n + (o.ok ? (o.result.counts.write ?? 0) : 0), 0);
      for (const o of second) if (o.ok) out(`   ${o.result.pair}: ${countsLine(o.result.counts)}`);
      const timelineCalls = [...living.requests.slice(again[0]), ...upstairs.requests.slice(again[1])].filter((r) => r.path === '/:/timeline').length;
      out(`   Writes: ${writes}; timeline calls: ${timelineCalls}. Requests to upstairs: ${requestsByRoute(upstairs, again[1])}`);
      out();
      out('Try it yourself: `playhead emulate plex --name home --synthetic movies=50,shows=3,seasons=2,episodes=8`,');
      out('then point a playhead.yaml at it (see README).');
      const failed = [...first, ...second].some((o) => !o.ok || o.result.status !== 'ok');
      if (opts.json) process.stdout.write(`${JSON.stringify({ firstRun: first.map((o) => (o.ok ? o.result.counts : { error: o.error.message })), secondRunWrites: writes })}\n`);
      return failed || writes > 0 || mismatched.length > 0 ? 1 : 0;
    } finally {
      store.close();
    }
  } finally {
    await Promise.all(emulators.map((e) => e.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}
