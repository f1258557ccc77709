// The scheduler of `playhead serve` on its own (real timers, a stand-in for the run): jitter
// within its bounds, cron times, one run at a time, refusals while busy or stopping, and a
// failing run that does not stop the next ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../src/cli/log.ts';
import type { PairConfig } from '../../src/core/pair.ts';
import { DEFAULT_PROGRESS_SETTINGS } from '../../src/core/pair.ts';
import { RunRefusedError, Scheduler, scheduleGapMs, type RunRequest } from '../../src/serve/scheduler.ts';
import { eventually, sleep } from './serve-support.ts';

const log = createLogger({ level: 'silent' });
const pair = (name: string, schedule?: PairConfig['schedule']): PairConfig => ({
  name,
  source: 'a',
  target: 'b',
  mode: 'one-way',
  features: { progress: { ...DEFAULT_PROGRESS_SETTINGS } },
  ...(schedule ? { schedule } : {}),
});

test('next run: the interval plus a jitter of at most a tenth of it, capped at a minute; 30 minutes by default', async () => {
  const now = Date.UTC(2026, 11, 6, 10, 0, 0);
  const at = (random: number, p: PairConfig) => {
    const s = new Scheduler({ pairs: [p], log, execute: async () => undefined, now: () => now, random: () => random });
    s.start();
    const next = s.timing(p.name)?.nextRunAt;
    return s.stop().then(() => next);
  };
  assert.equal(await at(0, pair('x', { everyMs: 10_000 })), now + 10_000);
  assert.equal(await at(0.5, pair('x', { everyMs: 10_000 })), now + 10_500);
  assert.equal(await at(0.999, pair('x', { everyMs: 10_000 })), now + 10_999);
  // A tenth of 30 minutes is 3 minutes: the cap, one minute, wins.
  assert.equal(await at(0.999, pair('x')), now + 30 * 60_000 + 59_940);
  assert.equal(await at(0, pair('x')), now + 30 * 60_000);
  // Cron: the next whole hour, then the jitter.
  assert.equal(await at(0, pair('x', { cron: '0 * * * *' })), Date.UTC(2026, 11, 6, 11, 0, 0));
  assert.equal(await at(0.5, pair('x', { cron: '0 * * * *' })), Date.UTC(2026, 11, 6, 11, 0, 30));
});

test('runs go one at a time; a pair queued or running is refused; a failing run does not stop the schedule', async () => {
  const started: string[] = [];
  let active = 0;
  let maxActive = 0;
  const execute = async (r: RunRequest) => {
    started.push(`${r.pair}:${r.trigger}`);
    active++;
    maxActive = Math.max(maxActive, active);
    await sleep(150);
    active--;
    if (r.pair === 'bad') throw new Error('boom');
    return r.pair;
  };
  const s = new Scheduler({ pairs: [pair('good', { everyMs: 1_000 }), pair('bad', { everyMs: 1_000 })], log, execute, random: () => 0 });
  s.start();
  await sleep(20);
  assert.equal(s.timing('good')?.phase, 'running');
  assert.equal(s.timing('bad')?.phase, 'queued');
  assert.throws(() => s.request({ pair: 'good', trigger: 'api', dryRun: false }), RunRefusedError);
  assert.throws(() => s.request({ pair: 'bad', trigger: 'api', dryRun: true }), /already queued/);
  await eventually(() => (started.filter((x) => x === 'good:schedule').length >= 3 ? true : undefined), 10_000);
  assert.ok(started.filter((x) => x === 'bad:schedule').length >= 2, started.join());
  assert.equal(maxActive, 1);
  await eventually(() => (s.timing('good')?.phase === 'idle' ? true : undefined));
  assert.equal(await s.request({ pair: 'good', trigger: 'api', dryRun: true }), 'good');
  await s.stop();
  assert.throws(() => s.request({ pair: 'good', trigger: 'api', dryRun: false }), /serve is stopping/);
  assert.throws(() => s.exclusive(async () => 1), /serve is stopping/);
  assert.equal(s.timing('good')?.nextRunAt, undefined);
});

test('stop() waits for the run in progress and drops the scheduled runs still queued', async () => {
  let finished = false;
  const ran: string[] = [];
  const s = new Scheduler({
    pairs: [pair('slow'), pair('next')],
    log,
    execute: async (r) => {
      ran.push(r.pair);
      await sleep(300);
      finished = true;
    },
  });
  s.start();
  await sleep(20);
  await s.stop();
  assert.equal(finished, true);
  assert.deepEqual(ran, ['slow']);
});

test("a schedule's gap (a poll that stands in for its reads runs at it): every, cron's next two ticks, 30 minutes by default", () => {
  const now = Date.UTC(2026, 11, 6, 10, 20, 0);
  assert.equal(scheduleGapMs({ everyMs: 90_000 }, now), 90_000);
  assert.equal(scheduleGapMs(undefined, now), 30 * 60_000);
  assert.equal(scheduleGapMs({ cron: '*/15 * * * *' }, now), 15 * 60_000);
  // Daily at 03:00 and 15:00: from 10:20 the next two ticks are 15:00 and 03:00.
  assert.equal(scheduleGapMs({ cron: '0 3,15 * * *' }, now), 12 * 3_600_000);
});

test('a tick the skipTick hook says has nothing to find is not run; the run at start always is', async () => {
  const ran: string[] = [];
  const asked: string[] = [];
  const s = new Scheduler({
    pairs: [pair('quiet', { everyMs: 100 }), pair('busy', { everyMs: 100 })],
    log,
    execute: async (r) => {
      ran.push(r.pair);
    },
    skipTick: (name) => {
      asked.push(name);
      return name === 'quiet' ? 'its poll saw nothing' : undefined;
    },
    random: () => 0,
  });
  s.start();
  await sleep(450);
  await s.stop();
  assert.equal(ran.filter((p) => p === 'quiet').length, 1, 'only the run at start');
  assert.ok(ran.filter((p) => p === 'busy').length >= 3, JSON.stringify(ran));
  assert.ok(asked.filter((p) => p === 'quiet').length >= 3, 'asked at every tick');
});
