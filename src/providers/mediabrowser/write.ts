// Writing a resume position to Jellyfin (a partial UserData update) or Emby (whose UserData POST
// replaces the whole record, so we send it complete and lose nothing: play count, played flag,
// favourite, rating).
import type { ProgressValue } from '../../core/model.ts';
import type { MediaBrowserClient } from './client.ts';
import { msToTicks } from '../../core/position.ts';
import type { UserData } from './schema.ts';

function userDataBody(replaces: boolean, current: UserData | undefined, value: ProgressValue, now: number, unwatched: boolean): Record<string, unknown> {
  const change: Record<string, unknown> = {
    PlaybackPositionTicks: msToTicks(value.progressMs),
    // The source's time, so Continue Watching keeps the real order.
    LastPlayedDate: new Date(value.progressAt ?? now).toISOString(),
  };
  if (!replaces) return change;
  const full: Record<string, unknown> = {
    PlaybackPositionTicks: 0,
    PlayCount: 0,
    IsFavorite: false,
    Played: false,
    ...withoutEmpty(current),
    ...change,
  };
  if (unwatched) Object.assign(full, { Played: false, PlayCount: 0 });
  return full;
}

/** Position 0, everything else as it was (Emby needs the rest of the record sent back). */
export function clearBody(replaces: boolean, current: UserData | undefined): Record<string, unknown> {
  if (!replaces) return { PlaybackPositionTicks: 0 };
  return { PlayCount: 0, IsFavorite: false, Played: false, ...withoutEmpty(current), PlaybackPositionTicks: 0 };
}

function withoutEmpty(record: UserData | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record ?? {}).filter(([, v]) => v !== null && v !== undefined));
}

export async function writeMediaBrowserProgress(
  client: MediaBrowserClient,
  itemId: string,
  userId: string,
  value: ProgressValue,
  current: UserData | undefined,
  opts: { unwatchFirst?: boolean; now: number },
): Promise<void> {
  if (opts.unwatchFirst) await client.markUnplayed(itemId, userId);
  await client.postUserData(itemId, userId, userDataBody(client.dialect.replacesUserData, current, value, opts.now, opts.unwatchFirst === true));
}
