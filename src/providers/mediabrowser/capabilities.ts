// What a Jellyfin or Emby server can do for resume sync.
import type { Capabilities } from '../provider.ts';

/** Jellyfin added a way to set a position without playing (POST /UserItems/{id}/UserData) in 10.9. */
export const JELLYFIN_MIN_WRITE_VERSION = '10.9.0';

/** MaxResumePct's default: a player stopping past it marks the item played. */
const MEDIABROWSER_DEFAULT_MAX_RESUME_PCT = 90;

export function mediaBrowserCapabilities(maxConcurrentWrites: number, completionPercent = MEDIABROWSER_DEFAULT_MAX_RESUME_PCT): Capabilities {
  return {
    // A position of 0 clears it (Emby: in the whole record, so nothing else is lost).
    clear: true,
    units: 'ms',
    // A player stopping past MaxResumePct marks the item played; we stay below it (set
    // `completion_percent` when the server's MaxResumePct differs).
    completionPercent,
    // UserData carries LastPlayedDate: Continue Watching keeps the source's order.
    setsProgressTime: true,
    playingNow: true,
    watchedState: true,
    // Played is a flag in UserData, not a logged play.
    logsPlays: false,
    // IsPlayed + SortBy=DatePlayed (LastPlayedDate), newest first: listFinished/readFinished.
    finishedReads: true,
    catalogue: true,
    maxConcurrentWrites,
  };
}
