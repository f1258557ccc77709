// What a Jellyfin or Emby server can do for resume sync.
import type { Capabilities } from '../provider.ts';

/** Jellyfin added a way to set a position without playing (POST /UserItems/{id}/UserData) in 10.9. */
export const JELLYFIN_MIN_WRITE_VERSION = '10.9.0';

export function mediaBrowserCapabilities(maxConcurrentWrites: number): Capabilities {
  return {
    read: true,
    write: true,
    // A position of 0 clears it (Emby: in the whole record, so nothing else is lost).
    clear: true,
    units: 'ms',
    // MaxResumePct: a player stopping past 90 % marks the item played; we stay below it.
    completionPercent: 90,
    // UserData carries LastPlayedDate: Continue Watching keeps the source's order.
    setsProgressTime: true,
    realtimeEvents: false,
    playingNow: true,
    watchedState: true,
    catalogue: true,
    maxConcurrentWrites,
  };
}
