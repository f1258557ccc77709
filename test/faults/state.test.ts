// Faults of the state file itself, through the `playhead` command as a user runs it: a corrupt
// state file, a state directory it may not write, a disk that fills up. Each run stops with a
// message that names the file, changes nothing on the servers it cannot journal, and never
// destroys the file it could not read.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Store } from '../../src/store/store.ts';
import { ROOT, type CliResult } from '../support/cli.ts';
import { awaiting } from './support.ts';
import { items, progressOn, startPlexPair, timelineWrites, type PlexPair } from '../support/plex-pair.ts';

const LIBRARY = 'movies=8,shows=1,seasons=1,episodes=3';
/** Root ignores file modes: a read-only directory is only read-only to someone else. */
const AS_ROOT = process.getuid?.() === 0;
const NOBODY = 65534;

interface CliOptions {
  /** `ulimit -f` in KiB: files cannot grow past it (EFBIG), as on a full disk. */
  fileSizeLimitKiB?: number;
  asNobody?: boolean;
}

function playheadUnder(args: string[], env: Record<string, string>, opts: CliOptions = {}): Promise<CliResult> {
  const node = [process.execPath, '--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = `${opts.fileSizeLimitKiB !== undefined ? `ulimit -f ${opts.fileSizeLimitKiB}; ` : ''}exec ${node}`;
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', script],
      { cwd: ROOT, env: { ...process.env, PLAYHEAD_CONFIG: '', ...env }, timeout: 60_000, ...(opts.asNobody ? { uid: NOBODY, gid: NOBODY } : {}) },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** A config like the pair's, with its state file at `statePath`. */
function configWithState(p: PlexPair, name: string, statePath: string): string {
  const path = join(p.dir, `${name}.yaml`);
  writeFileSync(path, p.yaml.replace(/state: \{ path: .* \}/, `state: { path: ${statePath} }`), { mode: 0o600 });
  return path;
}

function assertClear(r: CliResult, file: string, tokens: string[]): void {
  const out = `${r.stdout}\n${r.stderr}`;
  assert.notEqual(r.code, 0, `exit 0 on a state fault: ${out}`);
  assert.ok(out.includes(file), `the message names ${file}: ${out}`);
  assert.doesNotMatch(out, /\n\s+at .*\(.*:\d+:\d+\)/, `a stack trace instead of a message: ${out}`);
  for (const t of tokens) assert.ok(!out.includes(t), `a token leaked: ${out}`);
}

describe('state file faults', () => {
  let p: PlexPair;
  let tokens: string[];
  before(async () => {
    p = await startPlexPair({ synthetic: LIBRARY });
    p.store.close();
    // The read-only case runs as another user when we are root: it must reach the config.
    if (AS_ROOT) chmodSync(p.dir, 0o755);
    tokens = [p.source.ownerToken, p.target.ownerToken];
    for (const [i, m] of items(p.source, 'movie').slice(0, 3).entries()) progressOn(p.source, m, 0.3 + 0.1 * i);
  });
  after(() => p.close());

  test(
    'corrupt state file: stops, names the file, keeps it, writes nothing',
    awaiting('corrupt state file: stops, names the file, keeps it, writes nothing'),
    async () => {
      const file = join(p.dir, 'corrupt.db');
      const garbage = Buffer.from('this is not a SQLite database, but someone put it here\n'.repeat(200));
      writeFileSync(file, garbage);
      const writes = timelineWrites(p.target);
      const r = await playheadUnder(['--config', configWithState(p, 'corrupt', file), 'sync'], p.env);
      assertClear(r, file, tokens);
      assert.equal(timelineWrites(p.target), writes, 'nothing written without a journal');
      assert.deepEqual(readFileSync(file), garbage, 'the file it could not read is left as it was');
    },
  );

  test(
    'read-only state directory: stops before any write, names the file',
    awaiting('read-only state directory: stops before any write, names the file'),
    async () => {
      const dir = join(p.dir, 'read-only');
      mkdirSync(dir);
      chmodSync(dir, 0o555);
      const file = join(dir, 'state.db');
      const config = configWithState(p, 'read-only', file);
      if (AS_ROOT) chownSync(config, NOBODY, NOBODY);
      const writes = timelineWrites(p.target);
      const r = await playheadUnder(['--config', config, 'sync'], p.env, { asNobody: AS_ROOT });
      assertClear(r, file, tokens);
      assert.equal(timelineWrites(p.target), writes, 'nothing written without a journal');
    },
  );

  test(
    'full disk: the run stops cleanly, every write that reached the server is journalled, the next run settles it',
    awaiting('full disk: the run stops cleanly, every write that reached the server is journalled, the next run settles it'),
    async () => {
      const file = join(p.dir, 'full.db');
      const config = configWithState(p, 'full', file);
      // The file exists (migrated); then it may not grow any more.
      const seed = Store.open(file);
      seed.close();
      const size = Math.ceil(statSync(file).size / 1024);
      const writes = timelineWrites(p.target);
      const r = await playheadUnder(['--config', config, 'sync'], p.env, { fileSizeLimitKiB: size });
      const sent = timelineWrites(p.target) - writes;
      if (r.code !== 0) assertClear(r, file, tokens);
      // With room again, the next run settles what the full disk left open (an intent whose
      // outcome could not be recorded is reconciled by re-reading the target).
      const next = await playheadUnder(['--config', config, 'sync'], p.env);
      assert.ok(next.code === 0 || next.code === 1, `${next.stdout}${next.stderr}`);
      // Whatever reached the server is in the journal.
      const store = Store.open(file);
      try {
        const journalled = store.runs({ limit: 100 }).flatMap((run) => store.journal(run.id));
        assert.ok(journalled.length >= sent, `${sent} writes reached the server, ${journalled.length} journalled: ${r.stdout}${r.stderr}`);
        for (const row of journalled) assert.notEqual(row.status, 'intent', `journal row ${row.key} left at intent`);
      } finally {
        store.close();
      }
    },
  );
});
