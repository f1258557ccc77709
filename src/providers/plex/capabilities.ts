// What a Plex server can do for resume sync.
import type { Capabilities } from '../provider.ts';

/** PMS "Video played threshold" default: a stopped position at or past it marks the item watched. */
const PLEX_DEFAULT_PLAYED_THRESHOLD = 90;

const PLEX_CAPABILITIES: Omit<Capabilities, 'maxConcurrentWrites'> = {
  // Plex clears a position only by marking the item unplayed (`/:/unscrobble`), which also
  // resets its play count.
  clear: true,
  units: 'ms',
  completionPercent: PLEX_DEFAULT_PLAYED_THRESHOLD,
  // `/:/timeline` stamps lastViewedAt with the server's own clock.
  setsProgressTime: false,
  playingNow: true,
  watchedState: true,
  // `/:/scrobble` sets the watched flag (and a view count); no play log of our own to undo.
  logsPlays: false,
  // Section listings filter on lastViewedAt (listFinished), /library/metadata reads by id.
  finishedReads: true,
  catalogue: true,
};

/** An instance's capabilities: its write concurrency, and its server's played threshold when configured. */
export function plexCapabilities(maxConcurrentWrites: number, completionPercent = PLEX_DEFAULT_PLAYED_THRESHOLD): Capabilities {
  return { ...PLEX_CAPABILITIES, maxConcurrentWrites, completionPercent };
}
