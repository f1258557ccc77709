// The pure model of a pair: which two providers, which way, and the progress thresholds. The
// config loader (src/config/) builds these from playhead.yaml; core only reads them.

/** Per-pair progress settings (`pairs[].features.progress` in playhead.yaml, camelCase here). */
export interface ProgressSettings {
  /** Sync resume positions for this pair at all. */
  enable: boolean;
  /** Write positions to the target. */
  add: boolean;
  /** Clear positions on the target (not used by the planner: absence never clears). */
  remove: boolean;
  /** Positions below this are scrubbing, not watching. 0 = no minimum. */
  minSeconds: number;
  /** A target within this many seconds of the source is left alone. 0 = any difference writes. */
  deltaSeconds: number;
  /** Positions at or past this percent are "finished", left to history sync. */
  maxPercent: number;
  /** Clock slack when comparing the source's and the target's times (policy). */
  toleranceSeconds: number;
  /** Un-watch a watched target, then write the position (policy). */
  replay: boolean;
  /** What a target still holding a position gets when the source finished the item (core/finish.ts):
   * marked watched, its position cleared, or nothing (`off`: no finish reads at all). */
  finish: FinishMode;
  /** The first run of a pair reads finished items back this many days (later runs: since the last). */
  finishLookbackDays: number;
}

export const FINISH_MODES = ['mark_watched', 'clear', 'off'] as const;
export type FinishMode = (typeof FINISH_MODES)[number];

export const DEFAULT_PROGRESS_SETTINGS: ProgressSettings = Object.freeze({
  enable: true,
  add: true,
  remove: false,
  minSeconds: 60,
  deltaSeconds: 30,
  maxPercent: 95,
  toleranceSeconds: 30,
  replay: false,
  finish: 'mark_watched',
  finishLookbackDays: 14,
});

/**
 * When `playhead serve` runs a pair in full (`schedule:` in playhead.yaml): a cron expression, or
 * a fixed interval. The command line ignores it.
 */
export type PairSchedule = { cron: string } | { everyMs: number };

export interface PairConfig {
  name: string;
  source: string;
  target: string;
  /** `two-way`: source and target are peers; whichever moved last is written to the other. */
  mode: 'one-way' | 'two-way';
  features: { progress: ProgressSettings };
  /** Absent: serve's default (every 30 minutes). */
  schedule?: PairSchedule;
  /** `playhead serve`: how long (s) a paused item waits before it is synced; absent: the file's, else 20. */
  settleSeconds?: number;
}
