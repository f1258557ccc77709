// Versioned schema. Each entry runs once, in order, inside a transaction; `PRAGMA user_version`
// records how far a database has come. Never edit a released migration: add a new one.

export const MIGRATIONS: readonly string[] = [
  // 1: the first schema
  `
  CREATE TABLE kv (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );

  -- Runs of a pair. counts = JSON {reason: n}.
  CREATE TABLE runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    pair        TEXT NOT NULL,
    source      TEXT NOT NULL,
    target      TEXT NOT NULL,
    dry_run     INTEGER NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    status      TEXT NOT NULL DEFAULT 'running',  -- running | ok | partial | failed
    counts      TEXT NOT NULL DEFAULT '{}',
    error       TEXT
  );
  CREATE INDEX runs_pair ON runs(pair, id);

  -- One row per item per run: the decision and why.
  CREATE TABLE decisions (
    run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key     TEXT NOT NULL,
    title   TEXT NOT NULL,
    type    TEXT NOT NULL,
    action  TEXT NOT NULL,
    reason  TEXT NOT NULL,
    source  TEXT NOT NULL,          -- JSON PositionSnapshot
    target  TEXT,                   -- JSON PositionSnapshot
    detail  TEXT,                   -- JSON
    PRIMARY KEY (run_id, key)
  );
  CREATE INDEX decisions_key ON decisions(key);
  CREATE INDEX decisions_title ON decisions(title COLLATE NOCASE);

  -- Items we know, by canonical key.
  CREATE TABLE items (
    key    TEXT PRIMARY KEY,
    type   TEXT NOT NULL,
    title  TEXT NOT NULL,
    year   INTEGER,
    ids    TEXT NOT NULL            -- JSON identity (ids, show ids, season, episode)
  );

  -- Last position seen per provider and item.
  CREATE TABLE observations (
    provider     TEXT NOT NULL,
    key          TEXT NOT NULL,
    ref          TEXT NOT NULL,
    progress_ms  INTEGER,
    duration_ms  INTEGER,
    progress_pct REAL,
    progress_at  INTEGER,
    watched      INTEGER NOT NULL,
    run_id       INTEGER NOT NULL,
    PRIMARY KEY (provider, key)
  );

  -- External-id index per provider and server, refreshed incrementally. One JSON document per
  -- server: tens of thousands of entries load and save in one statement.
  CREATE TABLE id_index (
    provider     TEXT NOT NULL,
    server       TEXT NOT NULL,
    scope        TEXT NOT NULL,
    refreshed_at INTEGER NOT NULL,
    entries      TEXT NOT NULL,      -- JSON [[kind, token, id], ...]
    PRIMARY KEY (provider, server)
  );

  -- Every write: intent (with the previous value) before, outcome after.
  CREATE TABLE journal (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id     INTEGER NOT NULL REFERENCES runs(id),
    provider   TEXT NOT NULL,
    server     TEXT NOT NULL,
    ref        TEXT NOT NULL,
    key        TEXT NOT NULL,
    previous   TEXT NOT NULL,        -- JSON PositionSnapshot read before the write
    value      TEXT NOT NULL,        -- JSON ProgressValue we asked for
    status     TEXT NOT NULL,        -- intent | confirmed | unconfirmed | failed
    error      TEXT,
    created_at INTEGER NOT NULL,
    done_at    INTEGER
  );
  CREATE INDEX journal_run ON journal(run_id);
  `,
  // 2: items waiting for another try (not on the target yet, or failing), per pair
  `
  CREATE TABLE pending (
    pair        TEXT NOT NULL,
    key         TEXT NOT NULL,
    title       TEXT NOT NULL,
    kind        TEXT NOT NULL,        -- unresolved | failed
    attempts    INTEGER NOT NULL,
    first_at    INTEGER NOT NULL,
    last_at     INTEGER NOT NULL,
    next_at     INTEGER NOT NULL,     -- not tried again before this (epoch ms)
    parked      INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    source_pos  TEXT NOT NULL,        -- the source position it was about; a new one retries at once
    PRIMARY KEY (pair, key)
  );
  `,
  // 3: "what did we last write here?" is asked for every item of every run
  `
  CREATE INDEX journal_provider_key ON journal(provider, key, id);
  `,
  // 4: the id index as rows, so a refresh updates the items that changed in place instead of
  // rewriting one JSON document per server. id_index keeps one row per server (scope, time); its
  // entries move out of the blob (a later entry for the same token won, and still does).
  `
  CREATE TABLE id_index_entries (
    provider TEXT NOT NULL,
    server   TEXT NOT NULL,
    token    TEXT NOT NULL,          -- e.g. movie:imdb:tt0111161, coord:<showId>#s01e02
    kind     TEXT NOT NULL,          -- movie | show | episode
    id       TEXT NOT NULL,          -- native id the token points at
    PRIMARY KEY (provider, server, token),
    FOREIGN KEY (provider, server) REFERENCES id_index(provider, server) ON DELETE CASCADE
  ) WITHOUT ROWID;
  INSERT OR REPLACE INTO id_index_entries(provider, server, token, kind, id)
    SELECT x.provider, x.server, e.value ->> 1, e.value ->> 0, e.value ->> 2
    FROM id_index x, json_each(x.entries) e
    ORDER BY x.provider, x.server, e.key;
  ALTER TABLE id_index DROP COLUMN entries;
  `,
  // 5: a journal row ends confirmed, failed (proved not applied) or unknown (it may have landed).
  // 'unconfirmed' rows (a re-read that failed or did not show the value) are unknown. So are old
  // 'failed' rows whose error says the request was sent and the reply went wrong (timed out, cut
  // off, reset, a 5xx): that version re-sent them blind, and any copy may have landed.
  `
  UPDATE journal SET status = 'unknown' WHERE status = 'unconfirmed';
  UPDATE journal SET status = 'unknown'
    WHERE status = 'failed'
      AND (error LIKE '%timed out%' OR error LIKE '%cut off%' OR error LIKE '%UND_ERR_SOCKET%' OR error LIKE '%ECONNRESET%'
           OR error LIKE '%other side closed%' OR error GLOB '*answered 5[0-9][0-9]*');
  `,
  // 6: a full index scan stages its pages here as they arrive (appended, cheap) and replaces the
  // index with them in one sorted insert when it finishes: the index of a 100 000-item library is
  // never held in memory, a scan cut short leaves the previous index as it was, and the entries'
  // B-tree is written in key order instead of page by page at random.
  `
  CREATE TABLE id_index_staging (
    provider TEXT NOT NULL,
    server   TEXT NOT NULL,
    token    TEXT NOT NULL,
    kind     TEXT NOT NULL,
    id       TEXT NOT NULL
  );
  CREATE INDEX id_index_staging_by_server ON id_index_staging(provider, server);
  `,
  // 7: what started a run: NULL for the command line (and every run before this), `schedule` or
  // `api` for runs `playhead serve` started; item-scoped triggers will add their own names.
  `
  ALTER TABLE runs ADD COLUMN trigger TEXT;
  `,
  // 8: what the dashboard shows of an item on a provider: its last read, the newer (by run; the
  // listing on a tie) of the provider's last listing (observations) and what a one-way run read of
  // it as its target (the live state it planned with, or the re-read that confirmed its write).
  // Target reads stay out of observations, which clears and two-way memory reason about. Kept as
  // rows, not a view over both tables: the out-of-step join reads it twice by primary key, and a
  // view's per-row comparisons made that page several times slower. `origin` says which it was.
  `
  CREATE TABLE last_reads (
    provider     TEXT NOT NULL,
    key          TEXT NOT NULL,
    ref          TEXT NOT NULL,
    progress_ms  INTEGER,
    duration_ms  INTEGER,
    progress_pct REAL,
    progress_at  INTEGER,
    watched      INTEGER NOT NULL,
    run_id       INTEGER NOT NULL,
    origin       TEXT NOT NULL,      -- listing | target
    PRIMARY KEY (provider, key)
  );
  INSERT INTO last_reads(provider, key, ref, progress_ms, duration_ms, progress_pct, progress_at, watched, run_id, origin)
    SELECT provider, key, ref, progress_ms, duration_ms, progress_pct, progress_at, watched, run_id, 'listing' FROM observations;
  `,
];
