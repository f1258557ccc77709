// One film on a source and its copy on a target, shared by the decision tests: each test
// changes only the fields its rule is about.
import type { PositionSnapshot, ProgressRecord, TargetState } from '../../src/core/model.ts';
import type { DecideInput } from '../../src/core/decide.ts';
import { DEFAULT_PROGRESS_SETTINGS } from '../../src/core/pair.ts';
import type { PolicyInput } from '../../src/core/policy.ts';

export const AT = Date.UTC(2026, 7, 4, 12, 0, 0);
export const DUR = 6_000_000;

/** The source's record: 20 min into a 100 min film, played at AT. */
export function record(over: Partial<ProgressRecord> = {}): ProgressRecord {
  return {
    type: 'movie',
    ids: { imdb: 'tt0111161' },
    title: 'The Shawshank Redemption',
    ref: { provider: 'plex-home', server: 'home', id: '101' },
    progressMs: 1_200_000,
    durationMs: DUR,
    progressAt: AT,
    watched: false,
    ...over,
  };
}

/** The target's live state: 10 min in, an hour before the source. */
export function target(over: Partial<TargetState> = {}): TargetState {
  return {
    ref: { provider: 'plex-cabin', server: 'cabin', id: '7' },
    progressMs: 600_000,
    durationMs: DUR,
    progressAt: AT - 3_600_000,
    watched: false,
    playCount: 0,
    playingNow: false,
    ...over,
  };
}

/** The policy's input for that pair: a source 20 min in at AT, the target above, a 30 s tolerance. */
export function policyInput(over: Partial<PolicyInput> = {}, source: PositionSnapshot = {}, tgt: Partial<TargetState> = {}): PolicyInput {
  return {
    source: { progressMs: 1_200_000, durationMs: DUR, progressAt: AT, ...source },
    target: target(tgt),
    sameOrigin: false,
    toleranceMs: 30_000,
    replay: false,
    ...over,
  };
}

/** One item's whole decision input for that pair: found on the target, default settings. */
export function decideInput(over: Partial<DecideInput> = {}): DecideInput {
  return {
    key: 'imdb:tt0111161',
    source: record(),
    target: target(),
    resolution: 'resolved',
    settings: DEFAULT_PROGRESS_SETTINGS,
    sameOrigin: false,
    ...over,
  };
}

/** Copies of one film on a source (the duplicate-merging tests): ids alike, only `id` and `extra` differ. */
export function copyRecord(id: string, extra: Partial<ProgressRecord>): ProgressRecord {
  return { type: 'movie', ids: { imdb: 'tt0000001' }, title: 'Copy', ref: { provider: 'p', server: 's', id }, watched: false, ...extra };
}
