// What went wrong with the state database, as one line that names the file and says what to do.
// SQLite's own texts ("file is not a database", "unable to open database file") name neither.
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export type StoreProblem = 'corrupt' | 'read_only' | 'disk_full' | 'newer_schema' | 'unreadable' | 'other';

export class StoreError extends Error {
  constructor(
    readonly problem: StoreProblem,
    /** The state database file. */
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/** SQLite's extended codes (SQLITE_CORRUPT_INDEX, SQLITE_READONLY_DBMOVED, …) share their base code's prefix. */
const CORRUPT = ['SQLITE_NOTADB', 'SQLITE_CORRUPT'];
const NO_SPACE = ['SQLITE_FULL', 'ENOSPC', 'EDQUOT'];
const NOT_WRITABLE = ['SQLITE_CANTOPEN', 'SQLITE_READONLY', 'SQLITE_PERM', 'EACCES', 'EPERM', 'EROFS'];
const isOneOf = (code: string, family: string[]): boolean => family.some((base) => code === base || code.startsWith(`${base}_`));

function codeOf(err: unknown): string | undefined {
  const code = err instanceof Error ? (err as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** The newest `<file>.bak-<version>` next to the state file, if there is one. */
function newestBackup(file: string): string | undefined {
  const prefix = `${basename(file)}.bak-`;
  let names: string[];
  try {
    names = readdirSync(dirname(file));
  } catch {
    return undefined;
  }
  const versions = names.flatMap((name) => (name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)) ? [Number(name.slice(prefix.length))] : []));
  return versions.length === 0 ? undefined : `${file}.bak-${Math.max(...versions)}`;
}

/**
 * Any error from opening, reading or writing the state database (SQLite or the file system) as a
 * StoreError naming `file`. `reading`: the file was only being read (a read-only command).
 */
export function storeError(err: unknown, file: string, opts: { reading?: boolean } = {}): StoreError {
  if (err instanceof StoreError) return err;
  const code = codeOf(err) ?? '';
  const detail = err instanceof Error ? err.message : String(err);
  const dir = dirname(file);
  if (isOneOf(code, CORRUPT)) {
    const backup = newestBackup(file);
    return new StoreError(
      'corrupt',
      file,
      `${file} is not a Playhead state database or is corrupt: move it aside (the next sync starts a new one)${backup ? ` or restore ${backup}` : ''}`,
    );
  }
  if (code === 'EISDIR') {
    return new StoreError('other', file, `the state database ${file} is a directory: set state.path to a file (e.g. ${join(file, 'playhead.db')})`);
  }
  if (isOneOf(code, NO_SPACE)) {
    return new StoreError('disk_full', file, `cannot write the state database ${file}: the disk is full (${code}): free some space on it and run again`);
  }
  if (opts.reading && isOneOf(code, NOT_WRITABLE)) {
    return new StoreError('unreadable', file, `cannot read the state database ${file} (${code}): make it readable for this user`);
  }
  if (isOneOf(code, NOT_WRITABLE)) {
    return new StoreError(
      'read_only',
      file,
      `cannot write the state database ${file} (${code}): make ${dir} and the file writable for this user, or set state.path to a writable place`,
    );
  }
  return new StoreError('other', file, `state database ${file}: ${code ? `${code}: ` : ''}${detail}`);
}

export function newerSchemaError(file: string, version: number, known: number): StoreError {
  return new StoreError(
    'newer_schema',
    file,
    `${file} is schema version ${version}, newer than this Playhead (which knows up to ${known}): upgrade Playhead, or point state.path at another file`,
  );
}
