// What Trakt can do for resume sync.
import type { Capabilities } from '../provider.ts';

export function traktCapabilities(): Capabilities {
  return {
    read: true,
    write: true,
    // DELETE /sync/playback/{id}.
    clear: true,
    // Trakt stores a percent, not a time.
    units: 'pct',
    // `/scrobble/pause` never marks an item watched (only `/scrobble/stop` at ≥ 80 % does, and we
    // never send it), so no cap below the pair's max_percent is needed.
    setsProgressTime: false,
    realtimeEvents: false,
    // Trakt has a 'watching' endpoint, but it shows scrobbles, not what a player is doing here.
    playingNow: false,
    // Watched history is separate from playback: a position never hides behind a watched flag.
    watchedState: false,
    // Any item with ids can be named; Trakt answers 404 at write time for unknown ones.
    catalogue: false,
    // 1 write per second per user: writes go one at a time, paced by the client.
    maxConcurrentWrites: 1,
  };
}
