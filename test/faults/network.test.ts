// Network faults on the source's reads and on the target's writes, in every direction where they
// apply: each run ends with nothing wrong written, no position moved back, no watched flag, a
// settled journal, and a message that names the server (test names: docs/reliability.md).
import { describe, test } from 'node:test';
import {
  awaiting,
  label,
  readRule,
  READ_DIRECTIONS,
  scenario,
  setFaults,
  TIMEOUT_MS,
  WRITE_DIRECTIONS,
  writeRule,
  assertSentOnce,
  type Expect,
  type FaultSet,
  type World,
} from './support.ts';
import type { Harness } from '../conformance/suite.ts';

type Rule = NonNullable<FaultSet['rules']>[number];

interface NetworkScenario {
  name: string;
  fault: Omit<Rule, 'path' | 'method'>;
  expect: Expect;
}

const SLOW = TIMEOUT_MS * 3;

const READ_FAULTS: NetworkScenario[] = [
  { name: 'read: 401 stops the pair with a sign-in message', fault: { status: 401 }, expect: { written: 'none', message: { side: 'src' }, exitCode: 2 } },
  { name: 'read: 404 names the URL', fault: { status: 404 }, expect: { written: 'none', message: { side: 'src', matches: /404/, url: true }, exitCode: 1 } },
  {
    name: 'read: 429 storm asking for an hour fails clearly',
    fault: { status: 429, retryAfter: 3600 },
    expect: { written: 'none', message: { side: 'src', matches: /429|rate|retry/i }, exitCode: 1 },
  },
  {
    name: 'read: 429 with Retry-After within the retries is ridden out',
    fault: { status: 429, retryAfter: 0, count: 1 },
    expect: { written: 'all', exitCode: 0 },
  },
  { name: 'read: 5xx burst within the retries is ridden out', fault: { status: 503, count: 2 }, expect: { written: 'all', exitCode: 0 } },
  { name: 'read: 5xx that lasts fails the pair', fault: { status: 500 }, expect: { written: 'none', message: { side: 'src', matches: /500/ }, exitCode: 1 } },
  {
    name: 'read: slow body past the timeout fails the pair',
    fault: { slowBodyMs: SLOW },
    expect: { written: 'none', message: { side: 'src', matches: /time/i }, exitCode: 1 },
  },
  { name: 'read: one slow body is retried', fault: { slowBodyMs: SLOW, count: 1 }, expect: { written: 'all', exitCode: 0 } },
  { name: 'read: connection reset fails the pair', fault: { reset: true }, expect: { written: 'none', message: { side: 'src' }, exitCode: 1 } },
  { name: 'read: reset mid-page fails the pair', fault: { truncate: true }, expect: { written: 'none', message: { side: 'src' }, exitCode: 1 } },
  { name: 'read: truncated JSON is refused', fault: { halfBody: true }, expect: { written: 'none', message: { side: 'src' }, exitCode: 1 } },
  { name: 'read: a non-JSON page is refused', fault: { nonJson: true }, expect: { written: 'none', message: { side: 'src' }, exitCode: 1 } },
];

const WRITE_FAULTS: (NetworkScenario & { onceOnly?: boolean })[] = [
  {
    name: 'write: 401 writes nothing and says to sign in',
    fault: { status: 401 },
    expect: { written: 'none', message: { side: 'dst', matches: /token|auth/i }, exitCode: 1 },
  },
  { name: 'write: 404 writes nothing and names the server', fault: { status: 404 }, expect: { written: 'none', message: { side: 'dst' } } },
  {
    name: 'write: 429 storm asking for an hour writes nothing',
    fault: { status: 429, retryAfter: 3600 },
    expect: { written: 'none', message: { side: 'dst', matches: /429|rate|retry/i }, exitCode: 1 },
  },
  {
    name: 'write: 429 with Retry-After within the retries is ridden out',
    fault: { status: 429, retryAfter: 0, count: 1 },
    expect: { written: 'all', exitCode: 0 },
  },
  { name: 'write: 5xx burst within the retries is ridden out', fault: { status: 503, count: 1 }, expect: { written: 'all', exitCode: 0 } },
  {
    name: 'write: 5xx that lasts writes nothing and exits 1',
    fault: { status: 500 },
    expect: { written: 'none', message: { side: 'dst', matches: /500/ }, exitCode: 1 },
  },
  { name: 'write: reset before the server applies it is re-sent once', fault: { reset: true, count: 1 }, expect: { written: 'all', exitCode: 0 } },
  {
    name: 'write: reply cut after the write applied is confirmed, not re-sent',
    fault: { truncate: true, count: 1 },
    expect: { written: 'all', exitCode: 0 },
    onceOnly: true,
  },
  {
    name: 'write: slow reply after the write applied is confirmed, not re-sent',
    fault: { slowBodyMs: SLOW, count: 1 },
    expect: { written: 'all', exitCode: 0 },
    onceOnly: true,
  },
  {
    name: 'write: truncated JSON reply is confirmed by a re-read',
    fault: { halfBody: true, count: 1 },
    expect: { written: 'all', exitCode: 0 },
    onceOnly: true,
  },
  { name: 'write: a non-JSON reply writes nothing wrong', fault: { nonJson: true }, expect: { written: 'any', message: { side: 'dst' } } },
];

const faulted = (rule: (h: Harness) => Rule, fault: NetworkScenario['fault'], side: 'source' | 'target') => async (w: World) => {
  await setFaults(w[side], { rules: [{ ...rule(w[side]), ...fault }] });
};

for (const s of READ_FAULTS) {
  describe(s.name, () => {
    for (const d of READ_DIRECTIONS) test(label(d), awaiting(s.name), () => scenario(d, {}, faulted(readRule, s.fault, 'source'), s.expect));
  });
}

for (const s of WRITE_FAULTS) {
  describe(s.name, () => {
    for (const d of WRITE_DIRECTIONS)
      test(label(d), awaiting(s.name), () => scenario(d, {}, faulted(writeRule, s.fault, 'target'), s.expect, s.onceOnly ? { check: assertSentOnce } : {}));
  });
}
