// What Trakt can do for resume sync.
import type { Capabilities } from '../provider.ts';

/** Trakt turns a stop at or past 80 % into a play. */
const TRAKT_DEFAULT_STOP_SCROBBLE_PERCENT = 80;

export function traktCapabilities(completionPercent = TRAKT_DEFAULT_STOP_SCROBBLE_PERCENT): Capabilities {
  return {
    // DELETE /sync/playback/{id}.
    clear: true,
    // Trakt stores a percent, not a time.
    units: 'pct',
    // We only pause, which never marks an item watched, but a Trakt app resuming at 85 % and
    // stopping would scrobble at once: positions stay below the 80 % stop threshold.
    completionPercent,
    setsProgressTime: false,
    // Trakt has a 'watching' endpoint, but it shows scrobbles, not what a player is doing here.
    playingNow: false,
    // Watched history is separate from playback: a position never hides behind a watched flag,
    // and a play in the history (years ago, or just now) does not stop anyone resuming. So no
    // watched flag next to positions (already_watched, unwatchFirst would misread history).
    watchedState: false,
    // markWatched logs a play (`/scrobble/stop` at 100 %, which drops the position);
    // markUnwatched removes the plays logged since a time (`/sync/history/remove` by play id).
    logsPlays: true,
    // The history says what was finished and when (listFinished, readFinished).
    finishedReads: true,
    // Any item with ids can be named; Trakt answers 404 at write time for unknown ones.
    catalogue: false,
    // 1 write per second per user: writes go one at a time, paced by the client.
    maxConcurrentWrites: 1,
  };
}
