// `playhead demo`: a household with Plex in the living room, Jellyfin upstairs and a Trakt
// account, all bundled emulators on this machine. People watch through the same HTTP calls their
// apps make; Playhead plans, syncs and re-syncs, narrated. No external server needed.
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import Table from 'cli-table3';
import { parseConfig } from '../config/load.ts';
import { formatDuration } from '../core/time.ts';
import { runAll, type PairOutcome } from '../engine/run-all.ts';
import { Store } from '../store/store.ts';
import type { RunningPlexEmulator } from '../../emulators/plex/server.ts';
import type { PlexItem } from '../../emulators/plex/data.ts';
import type { RunningMediaBrowserEmulator } from '../../emulators/mediabrowser/server.ts';
import type { RunningTraktEmulator } from '../../emulators/trakt/server.ts';
import type { EmulatorHook } from '../providers/module.ts';
import { moduleFor } from '../providers/registry.ts';
import { startServe, type RunningServe } from '../serve/serve.ts';
import { msToTicks, ticksToMs } from '../core/position.ts';
import { authProvider } from './auth.ts';
import { EXIT } from './exit.ts';
import { createLogger } from './log.ts';
import { COMPACT, countsLine, runReport } from './output.ts';
import { explainDecision } from '../core/explain.ts';
import type { Config } from '../config/types.ts';
import type { Logger } from 'pino';

const SYNTHETIC = 'movies=400,shows=12,seasons=3,episodes=10';
const SEED = 'demo-household';
const ROWS = 20;

/**
 * A wall clock shared by every server, set six hours back so "earlier" and "later" plays can be
 * minutes apart. It still runs at real speed: rate limits and timeouts need time to pass.
 */
class DemoClock {
  private offset = -6 * 3600 * 1000;
  now = (): number => Date.now() + this.offset;
  pass(minutes: number): void {
    this.offset += minutes * 60 * 1000;
  }
  /** The evening has caught up with the real clock (what happens next happens now). */
  catchUp(): void {
    this.offset = Math.max(this.offset, 0);
  }
}

async function call(url: string, init: { method: string; headers: Record<string, string>; body?: string }): Promise<void> {
  const res = await request(url, init);
  await res.body.dump();
  if (res.statusCode >= 300) throw new Error(`demo: ${init.method} ${new URL(url).pathname} answered ${res.statusCode}`);
}

/** A Plex app reporting that it stopped (or is playing): the timeline call. */
function plexTimeline(server: RunningPlexEmulator, token: string, item: PlexItem, state: 'playing' | 'stopped', timeMs: number): Promise<void> {
  const q = new URLSearchParams({
    ratingKey: item.ratingKey,
    key: `/library/metadata/${item.ratingKey}`,
    state,
    time: String(timeMs),
    duration: String(item.durationMs ?? 0),
    identifier: 'com.plexapp.plugins.library',
  });
  return call(`${server.url}/:/timeline?${q}`, { method: 'POST', headers: { 'X-Plex-Token': token, 'X-Plex-Client-Identifier': 'living-room-tv' } });
}

/** A Jellyfin app: session start / stop with a position, or marking an item played. */
function jellyfinApp(server: RunningMediaBrowserEmulator, token: string) {
  const headers = {
    Authorization: `MediaBrowser Token="${token}", Client="Jellyfin Web", Device="Upstairs TV", DeviceId="upstairs-tv", Version="10.11.8"`,
    'content-type': 'application/json',
  };
  return {
    start: (itemId: string, ticks: number) =>
      call(`${server.url}/Sessions/Playing`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ ItemId: itemId, PositionTicks: ticks, CanSeek: true, IsPaused: false }),
      }),
    stop: (itemId: string, ticks: number) =>
      call(`${server.url}/Sessions/Playing/Stopped`, { method: 'POST', headers, body: JSON.stringify({ ItemId: itemId, PositionTicks: ticks }) }),
    played: (itemId: string, userId: string) => call(`${server.url}/UserPlayedItems/${itemId}?userId=${userId}`, { method: 'POST', headers }),
  };
}

interface Scene {
  who: 'owner' | 'alice';
  item: PlexItem;
  note: string;
  synced: boolean;
}

export interface DemoOptions {
  json: boolean;
  /**
   * Given the dashboard's URL once the steps are done, while serve still runs; serve stops when it
   * resolves. The CLI passes `untilInterrupted` for a person at a terminal (see `keepServingFor`);
   * without it the demo ends with its steps (scripts, CI, tests).
   */
  keepServing?: ((dashboardUrl: string) => Promise<void>) | undefined;
}

/** Resolves at the first Ctrl-C (or SIGTERM); the demo then stops serve cleanly and exits. */
function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

/** Serving until Ctrl-C is for a person at a terminal: `--no-serve`, pipes, CI and scripts end with the steps. */
export function keepServingFor(opts: { serve: boolean; tty: boolean }): DemoOptions['keepServing'] {
  if (!opts.serve || !opts.tty) return undefined;
  return () => {
    process.stdout.write('   Serving until Ctrl-C.\n');
    return untilInterrupted();
  };
}

export async function runDemo(opts: DemoOptions): Promise<number> {
  const out = (line = '') => process.stdout.write(`${line}\n`);
  const clock = new DemoClock();
  const dir = mkdtempSync(join(tmpdir(), 'playhead-demo-'));
  const closers: (() => Promise<void>)[] = [];
  try {
    // Each kind's module starts its emulator (and only now loads the emulator's code).
    const start = async <E extends { close(): Promise<void> }>(hook: EmulatorHook<E> | undefined, name: string): Promise<E> => {
      if (!hook) throw new Error(`demo: no emulator for ${name}`);
      const running = await hook.start({ name, synthetic: SYNTHETIC, seed: SEED, now: clock.now, quiet: true });
      closers.push(() => running.close());
      return running;
    };
    // Kinds are reached through the registry, as everywhere outside src/providers.
    const living = await start(moduleFor('plex').emulator as EmulatorHook<RunningPlexEmulator>, 'living-room');
    const upstairs = await start(moduleFor('jellyfin').emulator as EmulatorHook<RunningMediaBrowserEmulator>, 'upstairs');
    const trakt = await start(moduleFor('trakt').emulator as EmulatorHook<RunningTraktEmulator>, 'trakt');
    // This household set Plex's "Video played threshold" to 98 % in the living room.
    living.state.playedThresholdPercent = 98;
    const plexAlice = living.state.accounts.find((a) => a.name === 'alice');
    const jfOwner = upstairs.users.find((u) => u.name === 'admin');
    const jfAlice = upstairs.users.find((u) => u.name === 'alice');
    if (!plexAlice || !jfOwner || !jfAlice) throw new Error('demo: the synthetic servers lack the household users');
    const plexToken = { owner: living.ownerToken, alice: plexAlice.token };

    out('Playhead demo: a household with three services, all bundled emulators on this machine.');
    out(`  living-room  Plex      ${living.url}`);
    out(`  upstairs     Jellyfin  ${upstairs.url}`);
    out(`  trakt        Trakt     ${trakt.url}`);
    out(`  The same ${SYNTHETIC.replace(/,/g, ', ')} on both servers, under each server's own ids.`);
    out();

    /** The same item upstairs, found by its external ids like Playhead does. */
    const upstairsTwin = (item: PlexItem) => {
      const ids = new Set(item.guids.map((g) => g.split('://')[1]));
      return upstairs.state.items.find((i) => i.Type === (item.type === 'movie' ? 'Movie' : 'Episode') && Object.values(i.ProviderIds).some((v) => ids.has(v)));
    };
    const movies = living.state.items.filter((i) => i.type === 'movie' && i.guids.length > 0 && i.durationMs && upstairsTwin(i));
    const episodes = living.state.items.filter((i) => i.type === 'episode' && i.guids.length > 0 && i.durationMs && upstairsTwin(i));
    const scenes: Scene[] = [];
    const play = async (who: Scene['who'], item: PlexItem | undefined, fraction: number, note: string, synced = false) => {
      if (!item) throw new Error('demo: not enough items');
      const ms = fraction > 1 ? fraction : Math.round((item.durationMs ?? 0) * fraction);
      await plexTimeline(living, plexToken[who], item, 'stopped', ms);
      scenes.push({ who, item, note, synced });
      clock.pass(7);
    };

    out('1. The household watches in the living room (POST /:/timeline, as a Plex app reports a stop):');
    const jfOwnerApp = jellyfinApp(upstairs, jfOwner.token);
    // Something already finished upstairs earlier.
    const finished = movies[5];
    const finishedUp = finished && upstairsTwin(finished);
    if (finishedUp) await jfOwnerApp.played(finishedUp.Id, jfOwner.id);
    clock.pass(30);
    for (let i = 0; i < 4; i++) await play('owner', movies[i], 0.2 + i * 0.15, 'to sync', true);
    for (let i = 0; i < 3; i++) await play('owner', episodes[i * 10], 0.3 + i * 0.2, 'to sync', true);
    await play('owner', movies[4], 40_000, '40 s in: just a peek');
    await play('owner', finished, 0.25, 'already watched upstairs');
    await play('owner', movies[6], 0.93, "credits rolling (past Jellyfin's 90 % watched point)");
    await play('owner', movies[13], 0.97, 'all but finished');
    await play('owner', movies[7], 0.4, 'then watched further upstairs');
    await play('owner', movies[8], 0.5, 'playing upstairs right now');
    for (let i = 9; i < 11; i++) await play('alice', movies[i], 0.15 + i * 0.05, 'to sync (Jellyfin and Trakt)', true);
    await play('alice', episodes[40], 0.6, 'to sync (Jellyfin and Trakt)', true);
    // A home video that exists only in the living room and has no external ids.
    const home = { ...(movies[12] as PlexItem), ratingKey: '999999', title: 'Birthday 2019 (home video)', guid: 'local://999999', guids: [] };
    living.state.items.push(home);
    await play('owner', home, 600_000, 'no external ids');
    // Upstairs, later: someone watched further, and someone is watching right now.
    clock.pass(20);
    const later = movies[7] && upstairsTwin(movies[7]);
    if (later?.RunTimeTicks) {
      await jfOwnerApp.start(later.Id, 0);
      await jfOwnerApp.stop(later.Id, Math.round(later.RunTimeTicks * 0.7));
    }
    const playingNow = movies[8] && upstairsTwin(movies[8]);
    if (playingNow) await jfOwnerApp.start(playingNow.Id, msToTicks(60_000));
    for (const s of scenes)
      out(
        `   ${s.who.padEnd(5)} ${s.item.title.padEnd(40)} ${formatDuration(living.state.userState[s.who === 'owner' ? '1' : String(plexAlice.id)]?.[s.item.ratingKey]?.viewOffset ?? 0).padEnd(9)} ${s.note}`,
      );
    out();

    // Config exactly as a user writes it; secrets come from the environment, never the file.
    const yaml = [
      'providers:',
      `  living-room:       { kind: plex, url: ${living.url}, token: \${LIVING_ROOM_TOKEN} }`,
      `  living-room-alice: { kind: plex, url: ${living.url}, token: \${LIVING_ROOM_ALICE_TOKEN}, account_id: ${plexAlice.id} }`,
      `  upstairs:          { kind: jellyfin, url: ${upstairs.url}, token: \${UPSTAIRS_TOKEN} }`,
      `  upstairs-alice:    { kind: jellyfin, url: ${upstairs.url}, token: \${UPSTAIRS_ALICE_TOKEN} }`,
      `  trakt-alice:       { kind: trakt, url: ${trakt.url}, auth_url: ${trakt.url}, client_id: \${TRAKT_CLIENT_ID}, client_secret: \${TRAKT_CLIENT_SECRET} }`,
      'pairs:',
      '  - { name: owner, source: living-room, target: upstairs, features: { progress: { min_seconds: 60, delta_seconds: 30, max_percent: 95 } } }',
      '  - { name: alice, source: living-room-alice, target: upstairs-alice }',
      '  - { name: alice-trakt, source: living-room-alice, target: trakt-alice }',
      `state: { path: ${join(dir, 'playhead.db')} }`,
      '',
    ].join('\n');
    const configPath = join(dir, 'playhead.yaml');
    writeFileSync(configPath, yaml);
    chmodSync(configPath, 0o600);
    const env = {
      LIVING_ROOM_TOKEN: plexToken.owner,
      LIVING_ROOM_ALICE_TOKEN: plexToken.alice,
      UPSTAIRS_TOKEN: jfOwner.token,
      UPSTAIRS_ALICE_TOKEN: jfAlice.token,
      TRAKT_CLIENT_ID: trakt.clientId,
      TRAKT_CLIENT_SECRET: trakt.clientSecret,
    };
    const config = parseConfig(yaml, configPath, env);
    out('2. The config (playhead.yaml; tokens and secrets come from the environment):');
    for (const line of yaml.trim().split('\n')) out(`   ${line}`);
    out();

    const store = Store.open(config.state.path);
    const log = createLogger({ level: 'error' });
    try {
      out('3. `playhead auth trakt-alice` — Trakt sign-in with a device code (alice approves it on the emulator):');
      await authProvider({
        config,
        store,
        log,
        provider: 'trakt-alice',
        sleep: async () => {},
        out: (line) => {
          out(`   ${line}`);
          const code = /enter the code (\S+)/.exec(line)?.[1];
          if (code) trakt.approveDevice(code, 'alice');
        },
      });
      out();

      const report = (outcomes: PairOutcome[]) => {
        for (const o of outcomes) out(o.ok ? runReport(o.result, ROWS) : `   ${o.pair}: FAILED: ${o.error.message}\n`);
      };
      out('4. `playhead plan` — what would happen, and why, without writing anything:');
      report(await runAll({ config, store, log, dryRun: true }));
      out(`   Database after the plan: ${store.runs().length} runs recorded (a dry run leaves no trace).`);
      out();

      out('5. `playhead sync` — write, confirm by re-reading, record (Trakt at its 1 write per second):');
      const first = await runAll({ config, store, log, dryRun: false });
      report(first);

      out('6. Everyone resumes where they stopped in the living room:');
      const table = new Table({ head: ['Who', 'Item', 'Living room (Plex)', 'Upstairs (Jellyfin)', 'Trakt'], chars: COMPACT, style: { head: [], border: [] } });
      let mismatches = 0;
      let checked = 0;
      for (const s of scenes) {
        const plexMs = living.state.userState[s.who === 'owner' ? '1' : String(plexAlice.id)]?.[s.item.ratingKey]?.viewOffset;
        const twin = upstairsTwin(s.item);
        const jfUser = s.who === 'owner' ? jfOwner : jfAlice;
        const data = twin ? upstairs.state.userData[jfUser.id]?.[twin.Id] : undefined;
        const jfMs = data?.PlaybackPositionTicks ? ticksToMs(data.PlaybackPositionTicks) : undefined;
        const jf = twin ? `${jfMs ? formatDuration(jfMs) : '—'}${data?.Played ? ', watched' : ''}` : '(not on this server)';
        const traktPct = s.who === 'alice' ? traktPercent(trakt, s.item) : undefined;
        table.push([s.who, s.item.title, plexMs ? formatDuration(plexMs) : '—', jf, traktPct === undefined ? '' : `${traktPct.toFixed(1)}%`]);
        if (s.synced) {
          checked++;
          if (jfMs === undefined || plexMs === undefined || Math.abs(jfMs - plexMs) > 1000) mismatches++;
          if (s.who === 'alice' && (traktPct === undefined || Math.abs(traktPct - ((plexMs ?? 0) * 100) / (s.item.durationMs ?? 1)) > 0.1)) mismatches++;
        }
      }
      out(table.toString());
      out(mismatches === 0 ? `   All ${checked} items to sync now resume at the same point everywhere.` : `   MISMATCH in ${mismatches} place(s).`);
      out();

      out('7. A second sync finds nothing to do:');
      const marks = [living.requests.length, upstairs.requests.length, trakt.requests.length] as const;
      const second = await runAll({ config, store, log, dryRun: false });
      const writes = second.reduce((n, o) => n + (o.ok ? (o.result.counts.write ?? 0) : 0), 0);
      for (const o of second) out(`   ${o.ok ? `${o.result.pair}: ${countsLine(o.result.counts)}` : `${o.pair}: FAILED: ${o.error.message}`}`);
      const writeCalls = [...living.requests.slice(marks[0]), ...upstairs.requests.slice(marks[1]), ...trakt.requests.slice(marks[2])].filter(
        (r) => r.method === 'POST',
      ).length;
      out(`   Writes: ${writes}; write requests to any server: ${writeCalls}.`);
      out();
      const finishedOk = await finishStep({
        config,
        store,
        log,
        living,
        upstairs,
        clock,
        item: movies[0],
        token: plexToken.owner,
        twin: upstairsTwin,
        jfUser: jfOwner.id,
        out,
      });
      out();

      out('9. `playhead serve` — always on: a person stops a film in the living room, and it arrives upstairs:');
      const runsBefore = store.runs({ limit: 1 })[0]?.id ?? 0;
      const serve = await startServe({ config, store, log: createLogger({ level: 'silent' }), host: '127.0.0.1', port: 0, onListening: () => {} });
      // Stopped right after step 9, or, when it keeps serving the dashboard, at Ctrl-C; once either way.
      let serveStopped = false;
      const stopServe = async () => {
        if (serveStopped) return;
        serveStopped = true;
        const clean = await serve.stop('demo over');
        out(clean ? '   serve stopped cleanly.' : '   serve stopped, leaving work in flight.');
      };
      let live: Awaited<ReturnType<typeof liveStop>>;
      try {
        live = await liveStop({
          config,
          store,
          serve,
          runsBefore,
          living,
          upstairs,
          item: movies[14],
          token: plexToken.owner,
          twin: upstairsTwin,
          jfUser: jfOwner.id,
          out,
        });
        if (!opts.keepServing) await stopServe();
        out();
        out('Try it yourself: `playhead emulate plex --name home --synthetic movies=50,shows=3,seasons=2,episodes=8`');
        out('(or jellyfin, emby, trakt), then point a playhead.yaml at it (see README).');
        if (opts.keepServing) {
          const dashboard = `${serve.url}/`;
          out();
          out(`10. The dashboard of this serve: ${dashboard} (overview, Continue Watching, runs, items).`);
          await opts.keepServing(dashboard);
        }
      } finally {
        await stopServe();
      }
      const failed = [...first, ...second].some((o) => !o.ok || o.result.status !== 'ok');
      if (opts.json)
        process.stdout.write(
          `${JSON.stringify({ firstRun: first.map((o) => (o.ok ? o.result.counts : { error: o.error.message })), secondRunWrites: writes, serve: live ?? null })}\n`,
        );
      return !live || !finishedOk || failed || writes > 0 || writeCalls > 0 || mismatches > 0 ? EXIT.failure : EXIT.ok;
    } finally {
      store.close();
    }
  } finally {
    for (const close of closers.reverse()) await close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Step 8: the owner plays a film synced earlier to its end in the living room (Plex marks it
 * watched); the next sync takes it out of Jellyfin's Continue Watching, with the reason printed.
 * False when it did not arrive; a living room that does not report finished items yet is said
 * and not counted as a failure.
 */
async function finishStep(opts: {
  config: Config;
  store: Store;
  log: Logger;
  living: RunningPlexEmulator;
  upstairs: RunningMediaBrowserEmulator;
  clock: DemoClock;
  item: PlexItem | undefined;
  token: string;
  twin: (item: PlexItem) => { Id: string } | undefined;
  jfUser: string;
  out: (line?: string) => void;
}): Promise<boolean> {
  const { item, out } = opts;
  const twin = item && opts.twin(item);
  if (!item?.durationMs || !twin) throw new Error('demo: no film for the finish step');
  out(`8. The owner watches "${item.title}" to the end in the living room; the next \`playhead sync\`:`);
  opts.clock.catchUp();
  await plexTimeline(opts.living, opts.token, item, 'stopped', item.durationMs);
  const [outcome] = await runAll({ config: opts.config, store: opts.store, log: opts.log, dryRun: false, pair: 'owner' });
  if (!outcome?.ok) {
    out(`   owner: FAILED: ${outcome?.error.message ?? 'no run'}`);
    return false;
  }
  const decision = outcome.result.decisions.find((d) => d.title === item.title);
  if (decision) out(`   ${decision.title}: ${decision.reason} (${decision.action}) — ${explainDecision(decision)}`);
  const data = opts.upstairs.state.userData[opts.jfUser]?.[twin.Id];
  const ticks = data?.PlaybackPositionTicks ?? 0;
  out(`   Upstairs (Jellyfin) now: ${ticks > 0 ? `resume at ${formatDuration(ticksToMs(ticks))}` : 'no resume position'}${data?.Played ? ', watched' : ''}.`);
  const living = opts.config.providers['living-room'];
  if (living && !moduleFor(living.kind).capabilities(living).finishedReads) {
    out('   (This build of the Plex provider does not report finished items yet.)');
    return true;
  }
  const left = data?.Played === true && ticks === 0 && decision?.reason === 'finished';
  out(left ? '   It left Continue Watching upstairs.' : '   It is STILL in Continue Watching upstairs.');
  return left;
}

/** alice's Trakt percent for a living-room item, found by its imdb id. */
function traktPercent(trakt: RunningTraktEmulator, item: PlexItem): number | undefined {
  const imdb = item.guids.find((g) => g.startsWith('imdb://'))?.slice(7);
  const movie = trakt.state.movies.find((m) => m.ids.imdb === imdb);
  const episode = trakt.state.episodes.find((e) => e.ids.imdb === imdb);
  const traktId = movie?.ids.trakt ?? episode?.ids.trakt;
  return trakt.state.playback.alice?.find((p) => p.item === traktId)?.progress;
}

/** Polls `pick` every 20 ms until it gives a value, or undefined after `ms`. */
async function waitFor<T>(pick: () => T | undefined | Promise<T | undefined>, ms: number): Promise<T | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const found = await pick();
    if (found !== undefined || Date.now() > end) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Step 8: `playhead serve` (started in-process on the demo's emulators, port 0). Once its first full runs
 * are done and its Plex trigger is up, the owner plays a film in the living room and stops it;
 * the delay is measured from that stop to the position being readable on the Jellyfin emulator,
 * and the requests are counted on both emulators' request logs (the player's own report excluded).
 */
async function liveStop(opts: {
  config: ReturnType<typeof parseConfig>;
  store: Store;
  serve: RunningServe;
  /** The last run before serve started: serve's first full runs come after it. */
  runsBefore: number;
  living: RunningPlexEmulator;
  upstairs: RunningMediaBrowserEmulator;
  item: PlexItem | undefined;
  token: string;
  twin: (item: PlexItem) => { Id: string } | undefined;
  jfUser: string;
  out: (line?: string) => void;
}): Promise<{ title: string; delayMs: number; requests: number } | undefined> {
  const { config, store, serve, living, upstairs, item, out } = opts;
  const twin = item && opts.twin(item);
  if (!item || !twin || !item.durationMs) throw new Error('demo: no film for the serve step');
  out(`   serve listens on ${serve.url}; each pair runs once in full on start, then Plex's notification socket is up.`);
  const ready = await waitFor(async () => {
    const done = store.runs({ limit: 50 }).filter((r) => r.id > opts.runsBefore && r.trigger === 'schedule' && r.finishedAt);
    if (new Set(done.map((r) => r.pair)).size < config.pairs.length) return undefined;
    const res = await request(`${serve.url}/api/pairs`);
    const body = (await res.body.json()) as { pairs: { name: string; triggers: { state: string }[] }[] };
    return body.pairs.find((p) => p.name === 'owner')?.triggers[0]?.state === 'up' ? true : undefined;
  }, 15_000);
  if (!ready) {
    out('   serve did NOT get ready (full runs or the Plex trigger) within 15 s.');
    return undefined;
  }
  const positionUp = () => {
    const ticks = upstairs.state.userData[opts.jfUser]?.[twin.Id]?.PlaybackPositionTicks;
    return ticks ? ticksToMs(ticks) : undefined;
  };
  const stopAt = Math.round((item.durationMs * 0.55) / 1000) * 1000;
  await plexTimeline(living, opts.token, item, 'playing', stopAt - 600_000);
  // The trigger maps the new session to its account (`/status/sessions`) while it plays.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const marks = { plex: living.requests.length, jf: upstairs.requests.length, run: store.runs({ limit: 1 })[0]?.id ?? 0 };
  const stoppedAt = Date.now();
  await plexTimeline(living, opts.token, item, 'stopped', stopAt);
  const arrived = await waitFor(() => (positionUp() === stopAt ? true : undefined), 10_000);
  const delayMs = Date.now() - stoppedAt;
  out(`   owner plays ${item.title} in the living room and stops it at ${formatDuration(stopAt)} (POST /:/timeline state=playing, then stopped).`);
  if (!arrived) {
    out(`   It did NOT arrive upstairs within 10 s (upstairs has ${formatDuration(positionUp() ?? 0)}).`);
    return undefined;
  }
  // The item run confirms by re-reading after the write: count its requests once it has finished.
  const run = await waitFor(() => store.runs({ pair: 'owner', limit: 5 }).find((r) => r.id > marks.run && r.finishedAt), 10_000);
  const plexCalls = living.requests.slice(marks.plex).filter((r) => r.path !== '/:/timeline').length;
  const jfCalls = upstairs.requests.slice(marks.jf).length;
  out(
    `   It arrived upstairs: ${item.title} resumes at ${formatDuration(stopAt)} on Jellyfin ${delayMs} ms after the stop, in ${plexCalls + jfCalls} requests (Plex ${plexCalls}, Jellyfin ${jfCalls}; run #${run?.id ?? '?'}, trigger ${run?.trigger ?? '?'}).`,
  );
  return { title: item.title, delayMs, requests: plexCalls + jfCalls };
}
