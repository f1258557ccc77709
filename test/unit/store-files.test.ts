// The state file on disk: every failure names the file and says what to do (StoreError), an
// existing file is backed up before it is migrated, and read-only opening creates nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Store } from '../../src/store/store.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import { StoreError, storeError } from '../../src/store/errors.ts';

function withDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'playhead-store-files-'));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A database as an older Playhead left it: migrated to `version`, with one kv row. */
function oldDatabase(path: string, version: number): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  for (const step of MIGRATIONS.slice(0, version)) db.exec(step);
  db.pragma(`user_version = ${version}`);
  db.prepare('INSERT INTO kv(name, value) VALUES (?, ?)').run('written-by', `version ${version}`);
  db.close();
}

const rejects = (open: () => unknown, problem: StoreError['problem'], message: RegExp): StoreError => {
  try {
    open();
  } catch (err) {
    assert.ok(err instanceof StoreError, `expected a StoreError, got ${String(err)}`);
    assert.equal(err.problem, problem);
    assert.match(err.message, message);
    assert.ok(!err.message.includes('\n'), 'one line');
    return err;
  }
  assert.fail('expected a StoreError');
};

test('a file that is not a database is named, with what to do, by open and by the read-only copy', () => {
  withDir((dir) => {
    const path = join(dir, 'state.db');
    writeFileSync(path, 'these are my notes, not a database '.repeat(200));
    const before = readFileSync(path);
    const message = new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a Playhead state database or is corrupt: move it aside`);
    rejects(() => Store.open(path), 'corrupt', message);
    rejects(() => Store.openCopy(path), 'corrupt', message);
    assert.deepEqual(readFileSync(path), before, 'the file is left as it was');
  });
});

test('a corrupt file points at the newest backup next to it', () => {
  withDir((dir) => {
    const path = join(dir, 'state.db');
    oldDatabase(`${path}.bak-2`, 2);
    oldDatabase(`${path}.bak-3`, 3);
    writeFileSync(path, Buffer.alloc(8192, 7));
    rejects(() => Store.open(path), 'corrupt', new RegExp(`or restore ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.bak-3$`));
  });
});

test('a database from a newer Playhead names the file and both versions, and is left unchanged', () => {
  withDir((dir) => {
    const path = join(dir, 'state.db');
    const s = Store.open(path);
    s.db.pragma(`user_version = ${MIGRATIONS.length + 3}`);
    s.close();
    rejects(
      () => Store.open(path),
      'newer_schema',
      new RegExp(
        `state\\.db is schema version ${MIGRATIONS.length + 3}, newer than this Playhead \\(which knows up to ${MIGRATIONS.length}\\): upgrade Playhead`,
      ),
    );
    rejects(() => Store.openCopy(path), 'newer_schema', /newer than this Playhead/);
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.includes('.bak-')),
      [],
      'no backup of a file we do not migrate',
    );
  });
});

test('an existing database is backed up before it is migrated, and the backup opens at its old version', () => {
  withDir((dir) => {
    const path = join(dir, 'state.db');
    const old = MIGRATIONS.length - 1;
    oldDatabase(path, old);
    const s = Store.open(path);
    assert.equal(s.schemaVersion, MIGRATIONS.length);
    s.close();
    const backup = new Database(`${path}.bak-${old}`, { readonly: true, fileMustExist: true });
    try {
      assert.equal(backup.pragma('user_version', { simple: true }), old);
      assert.deepEqual(backup.prepare('SELECT value FROM kv WHERE name = ?').get('written-by'), { value: `version ${old}` });
      assert.equal(backup.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      backup.close();
    }
    assert.ok(!existsSync(`${path}.bak-${old}.partial`));
    // Opening again migrates nothing, so backs up nothing more.
    Store.open(path).close();
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.includes('.bak-')),
      [`state.db.bak-${old}`],
    );
  });
});

test('a new database and a read-only copy of an old one make no backup', () => {
  withDir((dir) => {
    Store.open(join(dir, 'new.db')).close();
    const old = join(dir, 'old.db');
    oldDatabase(old, MIGRATIONS.length - 1);
    const copy = Store.openCopy(old);
    assert.equal(copy.schemaVersion, MIGRATIONS.length, 'the copy is migrated in memory');
    copy.close();
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.includes('.bak-')),
      [],
    );
    const raw = new Database(old, { readonly: true });
    assert.equal(raw.pragma('user_version', { simple: true }), MIGRATIONS.length - 1, 'the file itself is not migrated');
    raw.close();
  });
});

test('the read-only copy of a missing file is empty and creates no file', () => {
  withDir((dir) => {
    const path = join(dir, 'sub', 'state.db');
    const s = Store.openCopy(path);
    assert.deepEqual(s.runs(), []);
    s.close();
    assert.deepEqual(readdirSync(dir), []);
  });
});

test('a full disk during a run is named with the file (SQLITE_FULL from a real write through a Store method)', () => {
  withDir((dir) => {
    const path = join(dir, 'state.db');
    const s = Store.open(path);
    try {
      // SQLite stops at max_page_count exactly as at a full disk: SQLITE_FULL.
      s.db.pragma(`max_page_count = ${Number(s.db.pragma('page_count', { simple: true }))}`);
      const err = rejects(
        () => {
          for (let i = 0; i < 1000; i++) s.setKv(`k${i}`, 'x'.repeat(1000));
        },
        'disk_full',
        /free some space/,
      );
      assert.equal(err.message, `cannot write the state database ${path}: the disk is full (SQLITE_FULL): free some space on it and run again`);
    } finally {
      s.close();
    }
  });
});

test('read-only files and directories are named with what to do', () => {
  const failure = (code: string): Error => Object.assign(new Error('unable to open database file'), { code });
  for (const code of ['SQLITE_CANTOPEN', 'SQLITE_READONLY', 'SQLITE_READONLY_DIRECTORY', 'EACCES', 'EROFS']) {
    const err = storeError(failure(code), '/srv/playhead/state.db');
    assert.equal(err.problem, 'read_only', code);
    assert.equal(
      err.message,
      `cannot write the state database /srv/playhead/state.db (${code}): make /srv/playhead and the file writable for this user, or set state.path to a writable place`,
    );
  }
  assert.equal(storeError(failure('EACCES'), '/srv/x.db', { reading: true }).problem, 'unreadable');
  assert.match(storeError(failure('SQLITE_IOERR_FSYNC'), '/srv/x.db').message, /^state database \/srv\/x\.db: SQLITE_IOERR_FSYNC: unable to open/);
});

test('a directory where the state file should be is named too', () => {
  withDir((dir) => {
    const err = rejects(() => Store.open(dir), 'other', /is a directory: set state\.path to a file/);
    assert.equal(err.message, `the state database ${dir} is a directory: set state.path to a file (e.g. ${join(dir, 'playhead.db')})`);
    rejects(() => Store.openCopy(dir), 'other', /is a directory/);
  });
});

test('a short file that is not a database (a config named by mistake) is refused, not taken for an empty database and overwritten', () => {
  withDir((dir) => {
    const path = join(dir, 'playhead.yaml');
    writeFileSync(path, 'pairs: []\n');
    rejects(() => Store.open(path), 'corrupt', /playhead\.yaml is not a Playhead state database/);
    rejects(() => Store.openCopy(path), 'corrupt', /playhead\.yaml is not a Playhead state database/);
    assert.equal(readFileSync(path, 'utf8'), 'pairs: []\n');
    // An empty file is a new database, as SQLite has it.
    const empty = join(dir, 'empty.db');
    writeFileSync(empty, '');
    Store.open(empty).close();
  });
});

test('a backup that cannot be made stops the migration: the file keeps its version and no partial copy stays', () => {
  withDir((dir) => {
    const path = join(dir, 'state.db');
    const old = MIGRATIONS.length - 1;
    oldDatabase(path, old);
    // Something in the backup's place that a file cannot replace.
    mkdirSync(join(dir, `state.db.bak-${old}`, 'in-the-way'), { recursive: true });
    assert.throws(() => Store.open(path), StoreError);
    assert.deepEqual(readdirSync(dir).sort(), ['state.db', `state.db.bak-${old}`]);
    const raw = new Database(path, { readonly: true });
    assert.equal(raw.pragma('user_version', { simple: true }), old);
    raw.close();
  });
});
