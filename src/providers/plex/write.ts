// Writing a resume position to Plex.
import type { NativeRef, ProgressValue } from '../../core/model.ts';
import { ProviderError } from '../provider.ts';
import type { PlexClient } from './client.ts';

export interface PlexWriteOptions {
  /** Mark the item unplayed first (rewatch), so the new position is not hidden by a watched flag. */
  unwatchFirst?: boolean;
}

/**
 * `POST /:/timeline` with state=stopped, as a player reports a stop. PMS ignores a timeline
 * without a duration, so a write with no known duration is refused here rather than lost there.
 */
export async function writePlexProgress(
  client: PlexClient,
  provider: string,
  ref: NativeRef,
  value: ProgressValue,
  opts: PlexWriteOptions = {},
): Promise<void> {
  if (!value.durationMs || value.durationMs <= 0) {
    throw new ProviderError('bad_response', provider, `${provider}: cannot write ratingKey ${ref.id} without a duration (Plex ignores timelines without one)`);
  }
  if (opts.unwatchFirst) await client.unscrobble(ref.id);
  await client.timelineStopped(ref.id, value.progressMs, value.durationMs);
}
