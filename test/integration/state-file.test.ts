// The state file as a user meets it through the `playhead` command: a relative state.path is
// relative to the config file; plan, status and explain create and change no file (a missing
// database is "no runs yet", a read-only directory is fine); a file Playhead cannot use is named
// in one line with what to do, exit 1; a readable config holding a token gets a warning.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { items, progressOn, startPlexPair, type PlexPair } from '../support/plex-pair.ts';
import { ROOT, type CliResult } from '../support/cli.ts';

// Root ignores file modes: as root, the read-only checks run the command as `nobody`.
const AS_ROOT = process.getuid?.() === 0;
const NOBODY = 65534;
// Resolved here: the commands run in other working directories, where `--import tsx` finds nothing.
const TSX = import.meta.resolve('tsx');

function run(args: string[], env: Record<string, string>, opts: { cwd: string; unprivileged?: boolean }): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', TSX, join(ROOT, 'src/cli/main.ts'), ...args],
      {
        cwd: opts.cwd,
        env: { ...process.env, PLAYHEAD_CONFIG: '', PLAYHEAD_STATE_PATH: '', ...env },
        timeout: 60_000,
        ...(opts.unprivileged && AS_ROOT ? { uid: NOBODY, gid: NOBODY } : {}),
      },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** Every file under `dir`, with its bytes: "nothing was created or changed" is a comparison. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    out[path] = entry.isFile() ? readFileSync(path).toString('base64') : 'dir';
  }
  return out;
}

describe('the state file through the CLI', () => {
  let p: PlexPair;
  let root: string;
  before(async () => {
    p = await startPlexPair();
    progressOn(p.source, items(p.source, 'movie')[0]!, 0.4);
    root = mkdtempSync(join(tmpdir(), 'playhead-state-file-'));
    chmodSync(root, 0o755);
  });
  after(async () => {
    await p.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** A config directory with p's config, its state at `./data/state.db`, and an empty working directory elsewhere. */
  function setUp(name: string, mode = 0o600): { conf: string; file: string; data: string; cwd: string } {
    const conf = join(root, name, 'conf');
    const cwd = join(root, name, 'work');
    mkdirSync(conf, { recursive: true });
    mkdirSync(cwd, { recursive: true });
    const file = join(conf, 'playhead.yaml');
    writeFileSync(file, p.yaml.replace(/^state: .*$/m, 'state: { path: ./data/state.db }'));
    chmodSync(file, mode);
    return { conf, file, data: join(conf, 'data'), cwd };
  }

  test('before the first sync: plan, status and explain say "no runs yet", exit 0, and create no file; sync creates it next to the config', async () => {
    const s = setUp('fresh');
    const before = snapshot(join(root, 'fresh'));

    const status = await run(['--config', s.file, 'status'], p.env, { cwd: s.cwd });
    assert.equal(status.code, 0, status.stderr);
    assert.equal(status.stdout, `No runs yet: ${join(s.data, 'state.db')} does not exist (the first \`playhead sync\` creates it).\n`);
    const statusJson = await run(['--config', s.file, '--json', 'status'], p.env, { cwd: s.cwd });
    assert.deepEqual(JSON.parse(statusJson.stdout), { runs: [], pending: [] });
    const explain = await run(['--config', s.file, '--json', 'explain', 'anything'], p.env, { cwd: s.cwd });
    assert.equal(explain.code, 0, explain.stderr);
    assert.deepEqual(JSON.parse(explain.stdout), { decisions: [] });
    const plan = await run(['--config', s.file, 'plan'], p.env, { cwd: s.cwd });
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /Plan main/);
    assert.deepEqual(snapshot(join(root, 'fresh')), before, 'no file created or changed');

    const sync = await run(['--config', s.file, 'sync'], p.env, { cwd: s.cwd });
    assert.equal(sync.code, 0, sync.stderr);
    assert.ok(existsSync(join(s.data, 'state.db')), 'relative to the config file');
    assert.deepEqual(readdirSync(s.cwd), [], 'not relative to the working directory');
  });

  test('in a read-only state directory: plan, status and explain work and change nothing; sync names the file, exit 1', async () => {
    const s = setUp('read-only');
    const first = await run(['--config', s.file, 'sync'], p.env, { cwd: s.cwd });
    assert.equal(first.code, 0, first.stderr);
    for (const path of [s.conf, s.file, s.data, ...readdirSync(s.data).map((n) => join(s.data, n))]) if (AS_ROOT) chownSync(path, NOBODY, NOBODY);
    chmodSync(s.conf, 0o555);
    chmodSync(s.data, 0o555);
    try {
      const before = snapshot(s.data);
      const as = { cwd: s.cwd, unprivileged: true };
      const status = await run(['--config', s.file, 'status'], p.env, as);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /│ 1 +│ main │ .* │ ok +│/);
      const explain = await run(['--config', s.file, '--json', 'explain', items(p.source, 'movie')[0]!.title], p.env, as);
      assert.equal(explain.code, 0, explain.stderr);
      assert.equal((JSON.parse(explain.stdout) as { decisions: unknown[] }).decisions.length, 1);
      const plan = await run(['--config', s.file, 'plan'], p.env, as);
      assert.equal(plan.code, 0, plan.stderr);
      assert.deepEqual(snapshot(s.data), before, 'no file created or changed');

      const sync = await run(['--config', s.file, 'sync'], p.env, as);
      assert.equal(sync.code, 1, sync.stdout);
      assert.match(
        sync.stderr,
        new RegExp(
          `cannot write the state database ${join(s.data, 'state.db')} \\((SQLITE_[A-Z_]+|EACCES)\\): make ${s.data} and the file writable for this user, or set state.path to a writable place\\n$`,
        ),
      );
    } finally {
      chmodSync(s.conf, 0o755);
      chmodSync(s.data, 0o755);
    }
  });

  test('a state file that is not a database: every command names it, says what to do, exit 1, and leaves it as it was', async () => {
    const s = setUp('corrupt');
    mkdirSync(s.data);
    const state = join(s.data, 'state.db');
    writeFileSync(state, 'SQLite format 2\0 but really just a text file, repeated. '.repeat(100));
    const bytes = readFileSync(state);
    for (const args of [['status'], ['plan'], ['sync'], ['explain', 'x']]) {
      const r = await run(['--config', s.file, ...args], p.env, { cwd: s.cwd });
      assert.equal(r.code, 1, `${args[0]}: ${r.stderr}`);
      assert.equal(r.stderr, `playhead: ${state} is not a Playhead state database or is corrupt: move it aside (the next sync starts a new one)\n`, args[0]);
    }
    assert.deepEqual(readFileSync(state), bytes);
  });

  test('a config file that others can read and that holds a token: a warning on stderr, never the token', async () => {
    const s = setUp('exposed', 0o644);
    const token = p.env.SRC_TOKEN ?? assert.fail('no token');
    writeFileSync(s.file, readFileSync(s.file, 'utf8').replace('${SRC_TOKEN}', token));
    const r = await run(['--config', s.file, 'status'], p.env, { cwd: s.cwd });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stderr,
      `playhead: warning: ${s.file} holds a secret (providers.src.token) and other users can read it (mode 644): run \`chmod 600 ${s.file}\`, or move the secret into an environment variable (\`\${NAME}\`)\n`,
    );
    assert.ok(!`${r.stdout}${r.stderr}`.includes(token));
    chmodSync(s.file, 0o600);
    const quiet = await run(['--config', s.file, 'status'], p.env, { cwd: s.cwd });
    assert.equal(quiet.stderr, '');
  });
});
