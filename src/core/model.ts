// Playhead's own typed model. Every provider converts its wire payloads into these shapes at the
// boundary; everything in core/ and engine/ works on these only.

export type MediaType = 'movie' | 'episode';

/** External ids we match on. Values are normalised: imdb `tt\d+`, tmdb/tvdb digits only. */
export interface ExternalIds {
  imdb?: string;
  tmdb?: string;
  tvdb?: string;
}

export const ID_KINDS = ['imdb', 'tmdb', 'tvdb'] as const;
export type IdKind = (typeof ID_KINDS)[number];

/** A provider-native id, valid only on the server it came from. */
export interface NativeRef {
  /** Provider instance name from the config, e.g. "plex-home". */
  provider: string;
  /** Server identity: Plex machineIdentifier, Jellyfin/Emby server id. */
  server: string;
  /** Plex ratingKey, Jellyfin/Emby item id, Trakt playback id. */
  id: string;
}

export interface ItemIdentity {
  type: MediaType;
  ids: ExternalIds;
  title: string;
  year?: number;
  /** Episodes only. */
  show?: { ids: ExternalIds; title?: string };
  season?: number;
  episode?: number;
}

/** A position a server reported that cannot be one (negative, not a number, over 100 %): the
 * provider keeps it out of `progressMs`/`progressPct` and reports it here, so the item is
 * skipped with `bad_position` instead of quietly looking unstarted. */
export interface BadPosition {
  /** The server's field, e.g. `viewOffset`, `PlaybackPositionTicks`, `progress`. */
  field: string;
  /** The value as the server sent it. */
  raw: string;
}

/** What every provider's read emits and every write accepts. Times are UTC epoch ms. */
export interface ProgressRecord extends ItemIdentity {
  ref: NativeRef;
  progressMs?: number;
  badPosition?: BadPosition;
  durationMs?: number;
  /** Percent 0..100, for percent-only sources such as Trakt. */
  progressPct?: number;
  /** When the position was recorded (last played / paused), UTC epoch ms. */
  progressAt?: number;
  watched: boolean;
  watchedAt?: number;
  playCount?: number;
  libraryId?: string;
}

/** The live state of one item on a target, read just before deciding to write. */
export interface TargetState {
  ref: NativeRef;
  progressMs?: number;
  badPosition?: BadPosition;
  /** Percent 0..100, for percent-only targets such as Trakt. */
  progressPct?: number;
  durationMs?: number;
  progressAt?: number;
  watched: boolean;
  playCount: number;
  playingNow: boolean;
}

/** The value we ask a provider to store. */
export interface ProgressValue {
  progressMs: number;
  /** The same position as a percent, when the duration is known (Trakt stores only this). */
  progressPct?: number;
  durationMs?: number;
  /** The source's time, so servers that can keep it order Continue Watching correctly. */
  progressAt?: number;
}

/** `mark_watched`: a finished item (core/finish.ts) marked watched on the target. */
export type Action = 'write' | 'clear' | 'mark_watched' | 'skip';

/** Reason codes are API: CLI, JSON output, database and web page all use these names. */
export const REASONS = [
  // planner
  'below_minimum',
  'near_complete',
  'unchanged',
  // the target's runtime is unknown, so where the position lands there is too (see planLanding)
  'target_runtime_unknown',
  // identity / resolution
  'missing_ids',
  'unresolved',
  // two different items share an external id (on the source, on the target, or two source items
  // found as one target item): neither is written
  'ambiguous_ids',
  // a position that cannot be one (negative, not a number, past the runtime, over 100 %)
  'bad_position',
  // policy
  'playing_now',
  'same_origin',
  'missing_source_time',
  'target_newer',
  'already_watched',
  // outcome
  'write',
  // a write held just below the target's "watched" point
  'capped',
  // a position removed on the target after an explicit clear on the source
  'clear',
  // finished on the source (watched, with a time): the target leaves Continue Watching
  // (action `mark_watched` or `clear`, see the pair's `finish`)
  'finished',
  // finished on the source, but the target was played later than that: left alone
  'finished_skip',
  // two-way: both sides moved; this side's value lost to the newer one
  'conflict_lost',
  // failed on several runs in a row: waits a day, or a new source position
  'parked',
  'failed',
  // undo
  'changed_since',
  'restore',
] as const;
export type Reason = (typeof REASONS)[number];

/** What the journal records a change as: the value written (a clear: position 0), and `watched`
 * when the change marked the item watched (a finish, `finish: mark_watched`). */
export interface JournalValue extends ProgressValue {
  watched?: true;
}

export interface PositionSnapshot {
  progressMs?: number;
  progressPct?: number;
  durationMs?: number;
  progressAt?: number;
  watched?: boolean;
  /** Plays counted by the target (kept in the journal so a rewatch can be undone). */
  playCount?: number;
}

export interface Decision {
  /** Canonical key (see ids.ts), or `ref:<provider>:<id>` for items without external ids. */
  key: string;
  title: string;
  type: MediaType;
  action: Action;
  reason: Reason;
  source: PositionSnapshot;
  target?: PositionSnapshot;
  /** Free-form, human-readable facts behind the reason (thresholds, errors, refs). */
  detail?: Record<string, unknown>;
}
