// Embedded state in SQLite (better-sqlite3): runs, decisions, observations, the external-id index
// cache and the write journal. Synchronous by design: each call is a short local transaction.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Decision, ItemIdentity, JournalValue, PositionSnapshot, ProgressRecord, ProgressValue, NativeRef, TargetState } from '../core/model.ts';
import type { IndexCacheMeta, IndexCacheSnapshot, IndexCacheUpdate, IndexEntry, ProviderState } from '../core/state.ts';
import { parseDecision, type TypedDecision } from '../core/pipeline.ts';
import { newerSchemaError, storeError } from './errors.ts';
import { MIGRATIONS } from './migrations.ts';

export interface RunRow {
  id: number;
  pair: string;
  source: string;
  target: string;
  dryRun: boolean;
  startedAt: number;
  finishedAt?: number;
  /** `interrupted`: stopped by a signal, or found `running` after its process died. */
  status: 'running' | 'ok' | 'partial' | 'failed' | 'interrupted';
  counts: Record<string, number>;
  error?: string;
  /** What started it, when not the command line: `schedule` or `api` (`playhead serve`). */
  trigger?: string;
}

export type StoredDecision = TypedDecision & {
  runId: number;
  pair: string;
  dryRun: boolean;
  at: number;
};

/** Where a journal row ends: `intent` only while its write is in flight (or after a crash). */
export type JournalStatus = 'intent' | 'confirmed' | 'failed' | 'unknown';

export interface JournalRow {
  id: number;
  runId: number;
  provider: string;
  server: string;
  ref: string;
  key: string;
  previous: PositionSnapshot;
  value: JournalValue;
  /** `failed`: proved not applied; `unknown`: it may have landed (see engine/apply.ts). */
  status: JournalStatus;
  error?: string;
}

type Row = Record<string, unknown>;

const json = (value: unknown): string => JSON.stringify(value ?? null);
const parse = <T>(text: unknown): T => JSON.parse(String(text)) as T;
const optNumber = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));

export class Store {
  readonly db: Database.Database;

  private readonly statements = new Map<string, Database.Statement>();

  private constructor(
    db: Database.Database,
    /** The state file, in messages (`:memory:` for tests). */
    private readonly file: string,
  ) {
    this.db = db;
  }

  /** Every statement is prepared once, keyed by its SQL, and reused: some run for every item of every run. */
  private stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * Opens (and creates or migrates) the database. `:memory:` is fine for tests. An existing file
   * is backed up to `<path>.bak-<version>` before it is migrated. Any failure is a StoreError
   * that names the file and says what to do.
   */
  static open(path: string): Store {
    if (path === ':memory:') return Store.prepare(new Database(path), path, { backUp: false });
    let db: Database.Database | undefined;
    try {
      mkdirSync(dirname(path), { recursive: true });
      checkHeader(path);
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      // SQLite's own default page cache (2 MiB; better-sqlite3 builds with 16): the id index of a
      // large library is written and read in key order, so a bigger cache saves little time and
      // would stay in the process's memory (~30 MB more at 100 000 items).
      db.pragma('cache_size = -2000');
      const store = Store.prepare(db, path, { backUp: true });
      // Viewing history and, later, tracker tokens live here: readable by its owner only.
      for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
      return store;
    } catch (err) {
      db?.close();
      throw storeError(err, path);
    }
  }

  /**
   * For read-only commands (`plan`, `status`, `explain`, dry runs): an in-memory copy of the
   * state file, so the command reads what is stored but creates and changes no file (a read-only
   * directory is fine). No file yet: an empty store, and still no file.
   */
  static openCopy(path: string): Store {
    if (path === ':memory:' || !existsSync(path)) return Store.open(':memory:');
    try {
      // Another connection's WAL may hold changes not yet in the main file: let SQLite read both
      // (a read-only connection creates no -wal/-shm of its own when they already exist).
      checkHeader(path);
      const image = existsSync(`${path}-wal`) && existsSync(`${path}-shm`) ? Store.serializeReadOnly(path) : readFileSync(path);
      // An in-memory copy cannot be in WAL mode: mark the image as a rollback-journal database
      // (header bytes 18-19, the file format's read and write versions).
      image[18] = 1;
      image[19] = 1;
      return Store.prepare(new Database(image), path, { backUp: false });
    } catch (err) {
      throw storeError(err, path, { reading: true });
    }
  }

  private static prepare(db: Database.Database, file: string, opts: { backUp: boolean }): Store {
    db.pragma('foreign_keys = ON');
    const store = new Store(db, file);
    store.migrate(opts.backUp);
    return store;
  }

  private static serializeReadOnly(path: string): Buffer {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      return db.serialize();
    } finally {
      db.close();
    }
  }

  /** Each migration runs in its own transaction; an existing file is backed up once before the first. */
  private migrate(backUp: boolean): void {
    const current = Number(this.db.pragma('user_version', { simple: true }));
    if (current > MIGRATIONS.length) throw newerSchemaError(this.file, current, MIGRATIONS.length);
    if (backUp && current > 0 && current < MIGRATIONS.length) this.backUp(current);
    for (let version = current; version < MIGRATIONS.length; version++) {
      const step = MIGRATIONS[version] ?? '';
      // IMMEDIATE, and the version read again inside: two processes opening a new file at once
      // must not both run a step (the second would find its tables already there).
      this.db
        .transaction(() => {
          if (Number(this.db.pragma('user_version', { simple: true })) !== version) return;
          this.db.exec(step);
          this.db.pragma(`user_version = ${version + 1}`);
        })
        .immediate();
    }
  }

  /**
   * A consistent copy of the database as it is now, to `<file>.bak-<version>` (VACUUM INTO reads
   * through the WAL and keeps user_version). Written under another name first, so an interrupted
   * backup never replaces a good one.
   */
  private backUp(version: number): void {
    const backup = `${this.file}.bak-${version}`;
    const partial = `${backup}.partial`;
    rmSync(partial, { force: true });
    try {
      this.db.prepare('VACUUM INTO ?').run(partial);
      chmodSync(partial, 0o600);
      renameSync(partial, backup);
    } catch (err) {
      // On a full disk above all, a half-written copy must not stay behind.
      rmSync(partial, { force: true });
      throw err;
    }
  }

  get schemaVersion(): number {
    return Number(this.db.pragma('user_version', { simple: true }));
  }

  close(): void {
    this.db.close();
  }

  // ---- key/value -------------------------------------------------------------------------

  getKv(name: string): string | undefined {
    const row = this.stmt('SELECT value FROM kv WHERE name = ?').get(name) as Row | undefined;
    return row ? String(row.value) : undefined;
  }

  setKv(name: string, value: string): void {
    this.stmt('INSERT INTO kv(name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value').run(name, value);
  }

  deleteKv(name: string): void {
    this.stmt('DELETE FROM kv WHERE name = ?').run(name);
  }

  /** The persistence a provider instance sees: its own kv namespace and id index. */
  providerState(provider: string): ProviderState {
    return {
      get: (name) => this.getKv(`provider:${provider}:${name}`),
      set: (name, value) => this.setKv(`provider:${provider}:${name}`, value),
      loadIndex: (server) => this.loadIndex(provider, server),
      indexMeta: (server) => this.indexMeta(provider, server),
      beginIndexScan: (server) => this.beginIndexScan(provider, server),
      stageIndexEntries: (server, entries) => this.stageIndexEntries(provider, server, entries),
      commitIndexScan: (server, meta) => this.commitIndexScan(provider, server, meta),
      refreshIndexEntries: (server, entries) => this.refreshIndexEntries(provider, server, entries),
      setIndexMeta: (server, meta) => this.saveIndexMeta(provider, server, meta),
      indexRows: (server, token, prefix) => this.indexRows(provider, server, token, prefix),
      indexRowCount: (server) => this.indexRowCount(provider, server),
      replaceIndex: (server, snapshot) => this.replaceIndex(provider, server, snapshot),
      upsertIndex: (server, update) => this.upsertIndex(provider, server, update),
    };
  }

  // ---- id index cache ----------------------------------------------------------------------

  // One meta row per (provider, server) in id_index, the entries as rows in id_index_entries:
  // a refresh touches only the items that changed.

  loadIndex(provider: string, server: string): IndexCacheSnapshot | undefined {
    const meta = this.stmt('SELECT scope, refreshed_at FROM id_index WHERE provider = ? AND server = ?').get(provider, server) as Row | undefined;
    if (!meta) return undefined;
    const entries = this.stmt('SELECT kind, token, id FROM id_index_entries WHERE provider = ? AND server = ?').all(provider, server) as IndexEntry[];
    return { scope: String(meta.scope), refreshedAt: Number(meta.refreshed_at), entries };
  }

  indexMeta(provider: string, server: string): IndexCacheMeta | undefined {
    const meta = this.stmt('SELECT scope, refreshed_at FROM id_index WHERE provider = ? AND server = ?').get(provider, server) as Row | undefined;
    return meta ? { scope: String(meta.scope), refreshedAt: Number(meta.refreshed_at) } : undefined;
  }

  beginIndexScan(provider: string, server: string): void {
    this.stmt('DELETE FROM id_index_staging WHERE provider = ? AND server = ?').run(provider, server);
  }

  /** Appends one page of a full scan (a rowid table: appends write only new pages). */
  stageIndexEntries(provider: string, server: string, entries: readonly IndexEntry[]): void {
    const put = this.stmt('INSERT INTO id_index_staging(provider, server, token, kind, id) VALUES (?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const e of entries) put.run(provider, server, e.token, e.kind, e.id);
    })();
  }

  /**
   * The staged scan becomes the index in one transaction: the old entries go, the staged ones
   * go in sorted by token (the B-tree is written in order; a later staged entry for a token wins).
   */
  commitIndexScan(provider: string, server: string, meta: IndexCacheMeta): void {
    this.db.transaction(() => {
      this.saveIndexMeta(provider, server, meta);
      this.stmt('DELETE FROM id_index_entries WHERE provider = ? AND server = ?').run(provider, server);
      this.stmt(
        `INSERT INTO id_index_entries(provider, server, token, kind, id)
         SELECT provider, server, token, kind, id FROM id_index_staging WHERE provider = ? AND server = ? ORDER BY token, rowid
         ON CONFLICT(provider, server, token) DO UPDATE SET kind = excluded.kind, id = excluded.id`,
      ).run(provider, server);
      this.stmt('DELETE FROM id_index_staging WHERE provider = ? AND server = ?').run(provider, server);
    })();
  }

  /**
   * One page of a refresh, in one transaction: each item the page names is described whole by
   * its entries here, so its stored tokens the page does not repeat (an id corrected on the
   * server) go. Its old rows are found by their item in one pass of the server's rows.
   */
  refreshIndexEntries(provider: string, server: string, entries: readonly IndexEntry[]): void {
    if (entries.length === 0) return;
    const current = new Set(entries.map((e) => e.token));
    const ids = JSON.stringify([...new Set(entries.map((e) => e.id))]);
    const drop = this.stmt('DELETE FROM id_index_entries WHERE provider = ? AND server = ? AND token = ?');
    this.db.transaction(() => {
      const old = this.stmt('SELECT token FROM id_index_entries WHERE provider = ? AND server = ? AND id IN (SELECT value FROM json_each(?))').all(
        provider,
        server,
        ids,
      ) as { token: string }[];
      for (const row of old) if (!current.has(row.token)) drop.run(provider, server, row.token);
      this.putIndexEntries(provider, server, entries);
    })();
  }

  indexRows(provider: string, server: string, token: string, prefix: string): IndexEntry[] {
    // Two lookups on the primary key: the exact token, and the range of tokens starting with
    // `prefix` (every string starting with it sorts at or after it and before its successor).
    const upper = `${prefix.slice(0, -1)}${String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)}`;
    return [
      ...(this.stmt('SELECT kind, token, id FROM id_index_entries WHERE provider = ? AND server = ? AND token = ?').all(
        provider,
        server,
        token,
      ) as IndexEntry[]),
      ...(this.stmt('SELECT kind, token, id FROM id_index_entries WHERE provider = ? AND server = ? AND token >= ? AND token < ? ORDER BY token').all(
        provider,
        server,
        prefix,
        upper,
      ) as IndexEntry[]),
    ];
  }

  indexRowCount(provider: string, server: string): number {
    return Number((this.stmt('SELECT COUNT(*) AS n FROM id_index_entries WHERE provider = ? AND server = ?').get(provider, server) as Row).n);
  }

  /** After a full scan: the stored index becomes exactly `snapshot`. */
  replaceIndex(provider: string, server: string, snapshot: IndexCacheSnapshot): void {
    this.db.transaction(() => {
      this.saveIndexMeta(provider, server, snapshot);
      this.stmt('DELETE FROM id_index_entries WHERE provider = ? AND server = ?').run(provider, server);
      this.putIndexEntries(provider, server, snapshot.entries);
    })();
  }

  /** After an incremental scan: drops and sets the tokens it names, everything else stays. */
  upsertIndex(provider: string, server: string, update: IndexCacheUpdate): void {
    const drop = this.stmt('DELETE FROM id_index_entries WHERE provider = ? AND server = ? AND token = ?');
    this.db.transaction(() => {
      this.saveIndexMeta(provider, server, update);
      for (const token of update.removedTokens) drop.run(provider, server, token);
      this.putIndexEntries(provider, server, update.entries);
    })();
  }

  private saveIndexMeta(provider: string, server: string, meta: IndexCacheMeta): void {
    this.stmt(
      `INSERT INTO id_index(provider, server, scope, refreshed_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(provider, server) DO UPDATE SET scope = excluded.scope, refreshed_at = excluded.refreshed_at`,
    ).run(provider, server, meta.scope, meta.refreshedAt);
  }

  /** A token points at one item: a later entry for the same token wins (as in the in-memory index). */
  private putIndexEntries(provider: string, server: string, entries: readonly IndexEntry[]): void {
    const put = this.stmt(
      `INSERT INTO id_index_entries(provider, server, token, kind, id) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(provider, server, token) DO UPDATE SET kind = excluded.kind, id = excluded.id`,
    );
    for (const e of entries) put.run(provider, server, e.token, e.kind, e.id);
  }

  // ---- runs and decisions -----------------------------------------------------------------

  startRun(run: { pair: string; source: string; target: string; dryRun: boolean; startedAt: number; trigger?: string | undefined }): number {
    const info = this.stmt('INSERT INTO runs(pair, source, target, dry_run, started_at, trigger) VALUES (?, ?, ?, ?, ?, ?)').run(
      run.pair,
      run.source,
      run.target,
      run.dryRun ? 1 : 0,
      run.startedAt,
      run.trigger ?? null,
    );
    return Number(info.lastInsertRowid);
  }

  finishRun(id: number, outcome: { finishedAt: number; status: RunRow['status']; counts: Record<string, number>; error?: string }): void {
    this.stmt('UPDATE runs SET finished_at = ?, status = ?, counts = ?, error = ? WHERE id = ?').run(
      outcome.finishedAt,
      outcome.status,
      json(outcome.counts),
      outcome.error ?? null,
      id,
    );
  }

  /**
   * Closes every run still `running` as `interrupted` and returns their ids. Only for the holder
   * of the writer lock (store/lock.ts): no other process can be running one, so each was left by
   * a process that died.
   */
  interruptRunningRuns(finishedAt: number, error: string): number[] {
    const rows = this.stmt("UPDATE runs SET status = 'interrupted', finished_at = ?, error = ? WHERE status = 'running' RETURNING id").all(
      finishedAt,
      error,
    ) as Row[];
    return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  }

  recordDecisions(runId: number, decisions: Decision[]): void {
    const insert = this.stmt(
      'INSERT OR REPLACE INTO decisions(run_id, key, title, type, action, reason, source, target, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.db.transaction((rows: Decision[]) => {
      for (const d of rows) {
        insert.run(runId, d.key, d.title, d.type, d.action, d.reason, json(d.source), d.target ? json(d.target) : null, d.detail ? json(d.detail) : null);
      }
    })(decisions);
  }

  runs(opts: { pair?: string; limit?: number } = {}): RunRow[] {
    const rows = (
      opts.pair
        ? this.stmt('SELECT * FROM runs WHERE pair = ? ORDER BY id DESC LIMIT ?').all(opts.pair, opts.limit ?? 20)
        : this.stmt('SELECT * FROM runs ORDER BY id DESC LIMIT ?').all(opts.limit ?? 20)
    ) as Row[];
    return rows.map(toRunRow);
  }

  run(id: number): RunRow | undefined {
    const row = this.stmt('SELECT * FROM runs WHERE id = ?').get(id) as Row | undefined;
    return row ? toRunRow(row) : undefined;
  }

  decisionsOfRun(runId: number): TypedDecision[] {
    const rows = this.stmt('SELECT * FROM decisions WHERE run_id = ? ORDER BY title, key').all(runId) as Row[];
    return rows.map(toDecision);
  }

  /**
   * Each of `keys`' latest decision of a real run (dry runs changed nothing), with its run. The
   * latest is the last one recorded: the key index holds each key's rows in rowid order, so each
   * lookup reads from the end of its key's range instead of sorting every decision of the item.
   */
  lastDecisions(keys: readonly string[]): Map<string, StoredDecision> {
    const latest = this.stmt(
      `SELECT d.*, r.pair, r.dry_run, r.started_at FROM decisions d INDEXED BY decisions_key JOIN runs r ON r.id = d.run_id
         WHERE d.key = ? AND r.dry_run = 0 ORDER BY d.rowid DESC LIMIT 1`,
    );
    const out = new Map<string, StoredDecision>();
    for (const key of keys) {
      const row = latest.get(key) as Row | undefined;
      if (row) out.set(key, storedDecision(row));
    }
    return out;
  }

  /** Every decision ever made for items whose key equals `query` or whose title contains it. */
  explain(query: string, limit = 200): StoredDecision[] {
    const rows = this.stmt(
      `SELECT d.*, r.pair, r.dry_run, r.started_at FROM decisions d JOIN runs r ON r.id = d.run_id
         WHERE d.key = ? OR d.title LIKE ? ESCAPE '\\' COLLATE NOCASE
         ORDER BY d.run_id DESC, d.title LIMIT ?`,
    ).all(query, `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`, limit) as Row[];
    return rows.map(storedDecision);
  }

  // ---- items and observations -------------------------------------------------------------

  /** What we know of items (ids, title, show), kept so that undo can find them again on a target
   * that names items by their ids (Trakt); a listing records its items with `recordObservations`. */
  recordItems(items: { key: string; record: ProgressRecord }[]): void {
    this.db.transaction(() => {
      for (const { key, record } of items) this.upsertItem(key, record);
    })();
  }

  private upsertItem(key: string, r: ProgressRecord): void {
    const identity = { ids: r.ids, show: r.show, season: r.season, episode: r.episode };
    this.stmt(
      'INSERT INTO items(key, type, title, year, ids) VALUES (?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET title = excluded.title, year = excluded.year, ids = excluded.ids',
    ).run(key, r.type, r.title, r.year ?? null, json(identity));
  }

  recordObservations(runId: number, provider: string, observed: { key: string; record: ProgressRecord }[]): void {
    const obs = this.stmt(
      `INSERT INTO observations(provider, key, ref, progress_ms, duration_ms, progress_pct, progress_at, watched, run_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(provider, key) DO UPDATE SET ref = excluded.ref, progress_ms = excluded.progress_ms,
         duration_ms = excluded.duration_ms, progress_pct = excluded.progress_pct, progress_at = excluded.progress_at,
         watched = excluded.watched, run_id = excluded.run_id`,
    );
    // A listing is the newest read of what it lists (a target read of the same run loses the tie).
    const last = this.stmt(`${LAST_READ_UPSERT} WHERE excluded.run_id >= last_reads.run_id`);
    this.db.transaction(() => {
      for (const { key, record: r } of observed) {
        this.upsertItem(key, r);
        const position = [r.ref.id, r.progressMs ?? null, r.durationMs ?? null, r.progressPct ?? null, r.progressAt ?? null, r.watched ? 1 : 0, runId] as const;
        obs.run(provider, key, ...position);
        last.run(provider, key, ...position, 'listing');
      }
    })();
  }

  /**
   * What a one-way run read of items on its target (`provider`): the live state it planned with,
   * or for a confirmed write (an undo's restore too) the re-read that confirmed it. Only `last_reads` (the dashboard)
   * keeps them, where they replace an older read; observations stay each provider's listing.
   */
  recordTargetReads(runId: number, provider: string, reads: readonly { key: string; state: TargetState }[]): void {
    const last = this.stmt(
      `${LAST_READ_UPSERT} WHERE excluded.run_id > last_reads.run_id OR (excluded.run_id = last_reads.run_id AND last_reads.origin = 'target')`,
    );
    this.db.transaction(() => {
      for (const { key, state: t } of reads) {
        last.run(
          provider,
          key,
          t.ref.id,
          t.progressMs ?? null,
          t.durationMs ?? null,
          t.progressPct ?? null,
          t.progressAt ?? null,
          t.watched ? 1 : 0,
          runId,
          'target',
        );
      }
    })();
  }

  /** Items a provider showed with a position when last observed, with their identity. */
  positionedObservations(provider: string): { key: string; ref: string; item: ItemIdentity; position: PositionSnapshot }[] {
    const rows = this.stmt(
      `SELECT o.*, i.type, i.title, i.year, i.ids FROM observations o JOIN items i ON i.key = o.key
       WHERE o.provider = ? AND (COALESCE(o.progress_ms, 0) > 0 OR COALESCE(o.progress_pct, 0) > 0)`,
    ).all(provider) as Row[];
    return rows.map((row) => {
      const identity = parse<Pick<ItemIdentity, 'ids' | 'show' | 'season' | 'episode'>>(row.ids);
      const item: ItemIdentity = {
        ...identity,
        type: String(row.type) as ItemIdentity['type'],
        title: String(row.title),
        ...(row.year !== null ? { year: Number(row.year) } : {}),
      };
      return { key: String(row.key), ref: String(row.ref), item, position: observedPosition(row) };
    });
  }

  /**
   * A page of items by their last reads (`last_reads`: a provider's listing or, newer, a one-way
   * run's read of it as its target), the most recently played first:
   * each item's identity and its position on every provider in `providers`, when observed (the
   * reading run's start), and which of `pairs` it is out of step on. `outOfStepOnly` keeps only
   * items out of step on at least one pair. Three statements, each prepared once whatever the
   * lists hold (they are passed as JSON): the page of keys, then only that page's rows.
   */
  positions(opts: {
    providers: readonly string[];
    pairs: readonly PositionPair[];
    outOfStepOnly: boolean;
    limit: number;
    offset: number;
    /** By last played: `newest` first (the default) or `oldest` first. */
    order?: 'newest' | 'oldest';
  }): {
    items: ItemPositions[];
    more: boolean;
  } {
    const providers = JSON.stringify(opts.providers);
    const pairs = JSON.stringify(opts.pairs);
    const direction = opts.order === 'oldest' ? 'ASC' : 'DESC';
    // By last played; items never played (no progress_at) last, by key so pages are stable.
    const page = this.stmt(
      `SELECT o.key, MAX(o.progress_at) AS last_played FROM last_reads o
         WHERE o.provider IN (SELECT value FROM json_each(@providers))
           AND (@apartOnly = 0 OR o.key IN (${OUT_OF_STEP_KEYS}))
         GROUP BY o.key
         ORDER BY last_played IS NULL, last_played ${direction}, o.key
         LIMIT @limit OFFSET @offset`,
    ).all({ providers, pairs, apartOnly: opts.outOfStepOnly ? 1 : 0, limit: opts.limit + 1, offset: opts.offset }) as Row[];
    const more = page.length > opts.limit;
    const keys = JSON.stringify(page.slice(0, opts.limit).map((r) => String(r.key)));
    const rows = this.stmt(
      `SELECT o.*, r.started_at AS observed_at FROM last_reads o LEFT JOIN runs r ON r.id = o.run_id
         WHERE o.provider IN (SELECT value FROM json_each(@providers)) AND o.key IN (SELECT value FROM json_each(@keys))
         ORDER BY o.provider`,
    ).all({ providers, keys }) as Row[];
    const apart = this.stmt(`SELECT a.key, p.name FROM ${OUT_OF_STEP_JOIN} AND a.key IN (SELECT value FROM json_each(@keys)) ORDER BY p.name`).all({
      keys,
      pairs,
    }) as Row[];
    const byKey = new Map<string, ItemPositions>();
    for (const { key } of page.slice(0, opts.limit)) {
      const identity = this.item(String(key));
      if (identity) byKey.set(String(key), { key: String(key), item: identity, positions: [], outOfStep: [] });
    }
    for (const row of rows) {
      byKey.get(String(row.key))?.positions.push({
        provider: String(row.provider),
        ref: String(row.ref),
        ...observedPosition(row),
        ...(row.observed_at !== null ? { observedAt: Number(row.observed_at) } : {}),
      });
    }
    for (const row of apart) byKey.get(String(row.key))?.outOfStep.push(String(row.name));
    return { items: [...byKey.values()], more };
  }

  observation(provider: string, key: string): (PositionSnapshot & { ref: string; runId: number }) | undefined {
    const row = this.stmt('SELECT * FROM observations WHERE provider = ? AND key = ?').get(provider, key) as Row | undefined;
    if (!row) return undefined;
    return { ...observedPosition(row), ref: String(row.ref), runId: Number(row.run_id) };
  }

  // ---- journal ------------------------------------------------------------------------------

  /** Records what we are about to write and what was there before; call before the write. */
  journalIntent(entry: { runId: number; ref: NativeRef; key: string; previous: PositionSnapshot; value: JournalValue; at: number }): number {
    const info = this.stmt(
      'INSERT INTO journal(run_id, provider, server, ref, key, previous, value, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(entry.runId, entry.ref.provider, entry.ref.server, entry.ref.id, entry.key, json(entry.previous), json(entry.value), 'intent', entry.at);
    return Number(info.lastInsertRowid);
  }

  /** The last write we made and confirmed for an item on a provider (what it should hold now). */
  lastConfirmedWrite(provider: string, key: string): { value: ProgressValue; at: number } | undefined {
    const row = this.stmt("SELECT value, done_at FROM journal WHERE provider = ? AND key = ? AND status = 'confirmed' ORDER BY id DESC LIMIT 1").get(
      provider,
      key,
    ) as Row | undefined;
    return row ? { value: parse<ProgressValue>(row.value), at: Number(row.done_at) } : undefined;
  }

  journalOutcome(id: number, outcome: { status: Exclude<JournalStatus, 'intent'>; error?: string; at: number }): void {
    this.stmt('UPDATE journal SET status = ?, error = ?, done_at = ? WHERE id = ?').run(outcome.status, outcome.error ?? null, outcome.at, id);
  }

  journal(runId: number): JournalRow[] {
    return (this.stmt('SELECT * FROM journal WHERE run_id = ? ORDER BY id').all(runId) as Row[]).map(toJournalRow);
  }

  /** Journal rows of every run still at `intent`: writes whose outcome nobody recorded. */
  journalIntents(): JournalRow[] {
    return (this.stmt("SELECT * FROM journal WHERE status = 'intent' ORDER BY id").all() as Row[]).map(toJournalRow);
  }

  // ---- pending retries ------------------------------------------------------------------------

  pendingFor(pair: string): Map<string, PendingRow> {
    const rows = this.stmt('SELECT * FROM pending WHERE pair = ?').all(pair) as Row[];
    return new Map(rows.map((r) => [String(r.key), toPending(r)]));
  }

  /** Every pending item (for `status`), parked first, then by pair and title; or one page of them. */
  pending(page: { limit: number; offset: number } = { limit: -1, offset: 0 }): PendingRow[] {
    return (this.stmt('SELECT * FROM pending ORDER BY parked DESC, pair, title LIMIT ? OFFSET ?').all(page.limit, page.offset) as Row[]).map(toPending);
  }

  savePending(row: PendingRow): void {
    this.stmt(
      `INSERT INTO pending(pair, key, title, kind, attempts, first_at, last_at, next_at, parked, last_error, source_pos)
       VALUES (@pair, @key, @title, @kind, @attempts, @firstAt, @lastAt, @nextAt, @parked, @lastError, @sourcePos)
       ON CONFLICT(pair, key) DO UPDATE SET title = excluded.title, kind = excluded.kind, attempts = excluded.attempts,
         last_at = excluded.last_at, next_at = excluded.next_at, parked = excluded.parked, last_error = excluded.last_error,
         source_pos = excluded.source_pos`,
    ).run({ ...row, parked: row.parked ? 1 : 0, lastError: row.lastError ?? null });
  }

  /**
   * Makes a waiting item due now (the dashboard's "Retry now"): the next run of its pair tries it
   * again, parked or not. Returns the row as it is now, or undefined when nothing waits there.
   */
  retryPendingNow(pair: string, key: string, now: number): PendingRow | undefined {
    const row = this.stmt('UPDATE pending SET next_at = ? WHERE pair = ? AND key = ? RETURNING *').get(now, pair, key) as Row | undefined;
    return row ? toPending(row) : undefined;
  }

  dropPending(pair: string, key: string): void {
    this.stmt('DELETE FROM pending WHERE pair = ? AND key = ?').run(pair, key);
  }

  /** Row counts per table, for tests and `status`. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const table of ['runs', 'decisions', 'items', 'observations', 'last_reads', 'id_index', 'journal', 'kv', 'pending']) {
      const row = this.stmt(`SELECT COUNT(*) AS n FROM ${table}`).get() as Row;
      out[table] = Number(row.n);
    }
    return out;
  }

  // ---- dashboard --------------------------------------------------------------------------

  // The dashboard's pages read one page of rows at a time, each through an index (its pages must
  // answer quickly over 100 000 decisions). Tables keyed by (provider, key) are asked for a key
  // with the list of providers, so their primary key (or journal_provider_key) does the lookup.

  /** One page of a run's decisions, by title, optionally of one reason and/or a title containing `title`. */
  runDecisions(runId: number, opts: { reason?: string; title?: string; limit: number; offset: number }): { decisions: TypedDecision[]; more: boolean } {
    const rows = this.stmt(
      `SELECT * FROM decisions WHERE run_id = @runId AND (@reason IS NULL OR reason = @reason)
         AND (@title IS NULL OR title LIKE @title ESCAPE '\\')
         ORDER BY title, key LIMIT @limit OFFSET @offset`,
    ).all({
      runId,
      reason: opts.reason ?? null,
      title: opts.title ? `%${opts.title.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null,
      limit: opts.limit + 1,
      offset: opts.offset,
    }) as Row[];
    return { decisions: rows.slice(0, opts.limit).map(toDecision), more: rows.length > opts.limit };
  }

  /** An item's decisions across pairs and runs, newest first, with the providers of each run. */
  itemDecisions(key: string, limit: number): (StoredDecision & { from: string; to: string })[] {
    const rows = this.stmt(
      `SELECT d.*, r.pair, r.source AS run_source, r.target AS run_target, r.dry_run, r.started_at FROM decisions d JOIN runs r ON r.id = d.run_id
         WHERE d.key = ? ORDER BY d.run_id DESC LIMIT ?`,
    ).all(key, limit) as Row[];
    return rows.map((row) => ({
      ...toDecision(row),
      runId: Number(row.run_id),
      pair: String(row.pair),
      dryRun: Number(row.dry_run) === 1,
      at: Number(row.started_at),
      from: String(row.run_source),
      to: String(row.run_target),
    }));
  }

  /** The writes made to an item on any of `providers`, newest first, with when they were made and ended. */
  itemJournal(providers: readonly string[], key: string, limit: number): (JournalRow & { createdAt: number; doneAt?: number })[] {
    const rows = this.stmt('SELECT * FROM journal WHERE provider IN (SELECT value FROM json_each(?)) AND key = ? ORDER BY id DESC LIMIT ?').all(
      JSON.stringify(providers),
      key,
      limit,
    ) as Row[];
    return rows.map((row) => {
      const doneAt = optNumber(row.done_at);
      return { ...toJournalRow(row), createdAt: Number(row.created_at), ...(doneAt !== undefined ? { doneAt } : {}) };
    });
  }

  /** An item's last read on each of `providers` (listed there, or read as a target): its native id there and the position seen. */
  itemLastReads(providers: readonly string[], key: string): (PositionSnapshot & { provider: string; ref: string; observedAt?: number })[] {
    const rows = this.stmt(
      `SELECT o.*, r.started_at AS observed_at FROM last_reads o LEFT JOIN runs r ON r.id = o.run_id
         WHERE o.provider IN (SELECT value FROM json_each(?)) AND o.key = ? ORDER BY o.provider`,
    ).all(JSON.stringify(providers), key) as Row[];
    return rows.map((row) => ({
      provider: String(row.provider),
      ref: String(row.ref),
      ...observedPosition(row),
      ...(row.observed_at !== null ? { observedAt: Number(row.observed_at) } : {}),
    }));
  }

  /** A per-installation secret kept in kv under `name` (32 random bytes, base64url), made on first use. */
  secret(name: string): string {
    const known = this.getKv(name);
    if (known) return known;
    const secret = randomBytes(32).toString('base64url');
    this.setKv(name, secret);
    return secret;
  }

  /** What we know of an item by its canonical key (from the items table), e.g. to find it again for undo. */
  item(key: string): ItemIdentity | undefined {
    const row = this.stmt('SELECT * FROM items WHERE key = ?').get(key) as Row | undefined;
    if (!row) return undefined;
    const stored = parse<Pick<ItemIdentity, 'ids' | 'show' | 'season' | 'episode'>>(row.ids);
    const identity: ItemIdentity = { type: String(row.type) as ItemIdentity['type'], ids: stored.ids ?? {}, title: String(row.title) };
    const year = optNumber(row.year);
    if (year !== undefined) identity.year = year;
    if (stored.show) identity.show = stored.show;
    if (stored.season !== undefined && stored.season !== null) identity.season = stored.season;
    if (stored.episode !== undefined && stored.episode !== null) identity.episode = stored.episode;
    return identity;
  }
}

// SQLite's errors name no file ("database or disk is full"): every Store method, whatever the
// caller (a run, undo, status), rethrows them as a StoreError that names the state file and says
// what to do. Other errors pass through unchanged.
for (const name of Object.getOwnPropertyNames(Store.prototype)) {
  const descriptor = Object.getOwnPropertyDescriptor(Store.prototype, name);
  const method: unknown = descriptor?.value;
  if (name === 'constructor' || typeof method !== 'function') continue;
  Object.defineProperty(Store.prototype, name, {
    ...descriptor,
    value: function (this: { file: string }, ...args: unknown[]) {
      try {
        return method.apply(this, args);
      } catch (err) {
        throw err instanceof Database.SqliteError ? storeError(err, this.file) : err;
      }
    },
  });
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * SQLite takes a short file that is not a database (a few bytes of text, say a config file named
 * by mistake) for an empty database and overwrites it: such a file is refused before SQLite sees it.
 */
function checkHeader(path: string): void {
  if (!existsSync(path)) return;
  const header = Buffer.alloc(SQLITE_HEADER.length);
  const fd = openSync(path, 'r');
  let read: number;
  try {
    read = readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (read > 0 && !header.equals(SQLITE_HEADER)) throw Object.assign(new Error('file is not a database'), { code: 'SQLITE_NOTADB' });
}

/** A pair as `positions()` compares its two sides. */
export interface PositionPair {
  name: string;
  source: string;
  target: string;
  deltaMs: number;
}

export interface ItemPositions {
  key: string;
  item: ItemIdentity;
  positions: (PositionSnapshot & { provider: string; ref: string; observedAt?: number })[];
  /** Names of the pairs whose two sides' last reads differ: watched on one side only, or both
   * unwatched and further apart than the pair's delta. */
  outOfStep: string[];
}

// A side's position in ms: its own, or its percent of a known duration (Trakt reports percent
// only); a percent with no duration on either side is unknown (NULL) and never counts as apart.
const sideMs = (x: string, y: string): string =>
  `COALESCE(${x}.progress_ms, ${x}.progress_pct * COALESCE(${x}.duration_ms, ${y}.duration_ms) / 100.0, CASE WHEN ${x}.progress_pct IS NULL THEN 0 END)`;
// Pairs (JSON parameter @pairs) joined to both sides' last reads, by primary key on each side.
const OUT_OF_STEP_JOIN = `(SELECT value ->> 'name' AS name, value ->> 'source' AS source, value ->> 'target' AS target, value ->> 'deltaMs' AS delta_ms
      FROM json_each(@pairs)) p
    JOIN last_reads a ON a.provider = p.source
    JOIN last_reads b ON b.provider = p.target AND b.key = a.key
    WHERE (a.watched <> b.watched OR (a.watched = 0 AND ABS(${sideMs('a', 'b')} - ${sideMs('b', 'a')}) > p.delta_ms))`;
const OUT_OF_STEP_KEYS = `SELECT a.key FROM ${OUT_OF_STEP_JOIN}`;

// One read into last_reads; each caller adds the WHERE that says when it replaces the row there.
const LAST_READ_UPSERT = `INSERT INTO last_reads(provider, key, ref, progress_ms, duration_ms, progress_pct, progress_at, watched, run_id, origin)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT(provider, key) DO UPDATE SET ref = excluded.ref, progress_ms = excluded.progress_ms, duration_ms = excluded.duration_ms,
    progress_pct = excluded.progress_pct, progress_at = excluded.progress_at, watched = excluded.watched, run_id = excluded.run_id,
    origin = excluded.origin`;

/** An observations or last_reads row as a position (unset columns stay absent). */
function observedPosition(row: Row): PositionSnapshot {
  const position: PositionSnapshot = { watched: Number(row.watched) === 1 };
  const progressMs = optNumber(row.progress_ms);
  const progressPct = optNumber(row.progress_pct);
  const durationMs = optNumber(row.duration_ms);
  const progressAt = optNumber(row.progress_at);
  if (progressMs !== undefined) position.progressMs = progressMs;
  if (progressPct !== undefined) position.progressPct = progressPct;
  if (durationMs !== undefined) position.durationMs = durationMs;
  if (progressAt !== undefined) position.progressAt = progressAt;
  return position;
}

/** A journal row as stored. */
function toJournalRow(row: Row): JournalRow {
  const entry: JournalRow = {
    id: Number(row.id),
    runId: Number(row.run_id),
    provider: String(row.provider),
    server: String(row.server),
    ref: String(row.ref),
    key: String(row.key),
    previous: parse<PositionSnapshot>(row.previous),
    value: parse<JournalValue>(row.value),
    status: String(row.status) as JournalRow['status'],
  };
  if (row.error !== null && row.error !== undefined) entry.error = String(row.error);
  return entry;
}

export interface PendingRow {
  pair: string;
  key: string;
  title: string;
  kind: 'unresolved' | 'failed';
  attempts: number;
  firstAt: number;
  lastAt: number;
  nextAt: number;
  parked: boolean;
  lastError?: string;
  sourcePos: string;
}

function toPending(r: Row): PendingRow {
  const row: PendingRow = {
    pair: String(r.pair),
    key: String(r.key),
    title: String(r.title),
    kind: String(r.kind) as PendingRow['kind'],
    attempts: Number(r.attempts),
    firstAt: Number(r.first_at),
    lastAt: Number(r.last_at),
    nextAt: Number(r.next_at),
    parked: Number(r.parked) === 1,
    sourcePos: String(r.source_pos),
  };
  if (r.last_error !== null && r.last_error !== undefined) row.lastError = String(r.last_error);
  return row;
}

function toRunRow(row: Row): RunRow {
  const run: RunRow = {
    id: Number(row.id),
    pair: String(row.pair),
    source: String(row.source),
    target: String(row.target),
    dryRun: Number(row.dry_run) === 1,
    startedAt: Number(row.started_at),
    status: String(row.status) as RunRow['status'],
    counts: parse<Record<string, number>>(row.counts),
  };
  const finishedAt = optNumber(row.finished_at);
  if (finishedAt !== undefined) run.finishedAt = finishedAt;
  if (row.error !== null && row.error !== undefined) run.error = String(row.error);
  if (row.trigger !== null && row.trigger !== undefined) run.trigger = String(row.trigger);
  return run;
}

/** A decisions row joined to its run (pair, dry_run, started_at). */
function storedDecision(row: Row): StoredDecision {
  return {
    ...toDecision(row),
    runId: Number(row.run_id),
    pair: String(row.pair),
    dryRun: Number(row.dry_run) === 1,
    at: Number(row.started_at),
  };
}

/** A decisions row, read back through the one decision schema (core/pipeline.ts). */
function toDecision(row: Row): TypedDecision {
  return parseDecision({
    key: String(row.key),
    title: String(row.title),
    type: String(row.type),
    action: String(row.action),
    reason: String(row.reason),
    source: parse<unknown>(row.source),
    ...(row.target !== null && row.target !== undefined ? { target: parse<unknown>(row.target) } : {}),
    ...(row.detail !== null && row.detail !== undefined ? { detail: parse<unknown>(row.detail) } : {}),
  });
}
