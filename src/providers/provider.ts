// The one interface every provider implements. The engine talks to providers only through this.
import type { ItemIdentity, NativeRef, ProgressRecord, ProgressValue, TargetState } from '../core/model.ts';
import type { ProviderState } from '../core/state.ts';
import type { Logger } from 'pino';

/**
 * What a provider claims about itself. Every field is read by the engine or checked against the
 * provider's behaviour by the conformance suite (test/conformance/suite.ts), which skips a check
 * only when a field says the ability is absent.
 */
export interface Capabilities {
  /** `clear()` exists and removes a position (engine: `remove`, undo of a first write). */
  clear: boolean;
  /** How the server stores a position: reads and target states carry `progressMs` (ms) or `progressPct` (pct). */
  units: 'ms' | 'pct';
  /** Percent at which storing a position makes the server mark the item watched (Plex 90); writes stay below it. */
  completionPercent?: number;
  /** A write carries the source's last-played time (else the server stamps its own clock, so writes go oldest first, one at a time). */
  setsProgressTime: boolean;
  /** Can tell that the user is playing an item right now (for `playing_now`). */
  playingNow: boolean;
  /** Keeps a watched flag next to positions (for `already_watched`); `markWatched()` exists. */
  watchedState: boolean;
  /** `markWatched()` logs a play in the server's history instead of setting a watched flag (Trakt:
   * `/scrobble/stop` at 100 %, which also drops the item's position); the target state never
   * reads watched (a play is no flag next to positions), so such a write is confirmed by the
   * position being gone. `markUnwatched(ref, since)` removes only the plays logged at or after
   * `since`, never one the person logged before. */
  logsPlays: boolean;
  /** `listFinished()` and `readFinished()` exist: the server says which items its user finished
   * and when (the `finish` setting's explicit signal; never inferred from an absence). */
  finishedReads: boolean;
  /** Knows which items exist, so an item missing there is `unresolved` before any write (else the write fails `not_found`). */
  catalogue: boolean;
  /** Writes the server takes at once (from the instance's config). */
  maxConcurrentWrites: number;
  /** Set (after connect) when this server cannot take writes at all, saying why. */
  writeBlockedReason?: string;
}

export interface ServerInfo {
  /** Server identity (Plex machineIdentifier, Jellyfin/Emby server id). */
  serverId: string;
  name: string;
  version: string;
}

/** An item to find on a target: its identity, canonical key and, if it came from this kind, its native ref. */
export interface ResolveRequest extends ItemIdentity {
  key: string;
  ref?: NativeRef;
}

/** Found, or not (`ambiguous`: the item's ids name several items on this server, none chosen). */
export type ResolveOutcome = { ref: NativeRef } | { unresolved: string; ambiguous?: NativeRef[] };

// The persistence a provider sees is defined beside the store's other types in core (the store
// implements it and must not depend on providers); re-exported for the providers' convenience.
export type { IndexEntry, ProviderState } from '../core/state.ts';

export interface ProviderContext {
  state: ProviderState;
  /** Stable per installation (kept in the state database); identifies us to servers. */
  installationId: string;
  log: Logger;
  /** Injected clock (epoch ms) so tests and runs are reproducible. */
  now: () => number;
  /** A dry run: the provider must not change anything anywhere (not even refresh a token). */
  dryRun: boolean;
}

export interface ListOptions {
  /** Called after each page with items seen so far and the server's total, when known. */
  onPage?: (seen: number, total: number | undefined) => void;
}

export interface ResolveOptions {
  /** Look in the id index as stored before refreshing it (an item-scoped run: a handful of
   * requests, not a scan); items it does not name still get the refresh. */
  storedFirst?: boolean;
}

export interface WriteOptions {
  /** Mark the item unwatched before writing (rewatch); only when the pair allows replay. */
  unwatchFirst?: boolean;
}

export interface Provider {
  /** Instance name from the config, e.g. "plex-home". */
  readonly id: string;
  readonly kind: string;
  readonly capabilities: Capabilities;
  /** Checks reachability and the token; fails with a ProviderError naming the server. */
  connect(): Promise<ServerInfo>;
  /** Resumable items (position > 0), page by page, filtered server-side. */
  listProgress(opts?: ListOptions): AsyncIterable<ProgressRecord[]>;
  /** The records of these items (native ids), exactly as `listProgress` would give them: an item
   * it would not list (no position, outside the selected libraries, gone) is absent. Batched; an
   * item-scoped run (`playhead serve`'s triggers) reads its source through this, not a listing. */
  readItems(nativeIds: string[]): Promise<ProgressRecord[]>;
  /** Finds items on this provider. Batch: indexes are built once per run. */
  resolve(items: ResolveRequest[], opts?: ResolveOptions): Promise<Map<string, ResolveOutcome>>;
  /** Live state of items (position, watched, playing now), batched. Keyed by ref.id.
   * `playing: false` skips the playing-now lookup (confirming a write does not need it). */
  targetState(refs: NativeRef[], opts?: { playing?: boolean }): Promise<Map<string, TargetState>>;
  /** Stores a resume position. Throws ProviderError on failure (after the client's retries). */
  write(ref: NativeRef, value: ProgressValue, opts?: WriteOptions): Promise<void>;
  /** Removes the resume position (only when `capabilities.clear`). */
  clear?(ref: NativeRef): Promise<void>;
  /** Marks the item watched (only when `capabilities.watchedState` or `logsPlays`): undo of a
   * rewatch, and the `finish: mark_watched` write (it leaves the server's Continue Watching). */
  markWatched?(ref: NativeRef): Promise<void>;
  /** Removes the watched mark (only when `capabilities.watchedState` or `logsPlays`): undo of
   * `mark_watched`. A server that logs plays removes the plays logged at or after `since` (epoch
   * ms; required there, so an older play is never touched). */
  markUnwatched?(ref: NativeRef, since?: number): Promise<void>;
  /** Items this provider's user finished (watched, with a watched time) at or after `since`
   * (epoch ms), page by page, filtered by the server (Plex `lastViewedAt>>=`, Jellyfin/Emby
   * `IsPlayed` newest play first, Trakt `/sync/history?start_at=`). Each record has
   * `watched: true` and `watchedAt`; an item watched again later appears once, with its latest
   * time. Only when `capabilities.finishedReads`. */
  listFinished?(since: number, opts?: ListOptions): AsyncIterable<ProgressRecord[]>;
  /** The finished records (as `listFinished` gives them, whatever their time) of these native
   * ids, for item-scoped runs; an item not watched is absent. Only when `capabilities.finishedReads`. */
  readFinished?(nativeIds: string[]): Promise<ProgressRecord[]>;
  close(): Promise<void>;
}

export type ProviderErrorKind = 'auth' | 'not_found' | 'bad_response' | 'unavailable' | 'config' | 'rate_limited';

/** Errors that name the server and path; never carry tokens. */
export class ProviderError extends Error {
  readonly kind: ProviderErrorKind;
  readonly provider: string;
  readonly status?: number;
  /** A write whose outcome we cannot know: it was sent, and the reply timed out, was cut off or
   * was a 5xx. The server may have applied it; only a re-read can tell (never a blind re-send). */
  readonly ambiguous: boolean;
  constructor(kind: ProviderErrorKind, provider: string, message: string, status?: number, options: { ambiguous?: boolean } = {}) {
    super(message);
    this.name = 'ProviderError';
    this.kind = kind;
    this.provider = provider;
    if (status !== undefined) this.status = status;
    this.ambiguous = options.ambiguous === true;
  }
}
