// Trakt has no push: the trigger asks `GET /sync/last_activities` (one request, cheap for Trakt)
// on an interval (serve gives it the pair's schedule) and only when a movies/episodes `paused_at`
// or `watched_at` moved since the last answer does it say "changed". Trakt's stamps say that
// playback or plays moved, not which item, so the event's nativeId is `*` (see ../trigger.ts):
// re-read this provider's playback (and what it finished).
import type { TriggerContext } from '../module.ts';
import type { ProviderState } from '../provider.ts';
import type { ItemEvent, ProviderTrigger, TriggerHealth } from '../trigger.ts';
import { traktClientFor } from './client.ts';
import type { TraktProviderConfig } from './config.ts';
import { loadTokens } from './oauth.ts';
import { lastActivities } from './schema.ts';

/** The stamps the trigger compares: playback moved (a pause, a removal, a scrobble's cleanup) or
 * a play was logged or removed (a finish, which a run reads from the history). */
type Stamps = { paused_at: string; watched_at?: string };
type LastActivities = { movies: Stamps; episodes: Stamps };
const sameStamps = (a: Stamps, b: Stamps) => a.paused_at === b.paused_at && a.watched_at === b.watched_at;

const TRAKT_POLL_DEFAULT_MS = 5 * 60_000;

interface TraktPollOptions {
  /** Between polls (default 5 minutes; serve passes the schedule of the pairs reading Trakt). */
  intervalMs?: number;
  /** First retry after a failed poll (default 5 s); doubles, capped at the interval. */
  minBackoffMs?: number;
}

export class TraktPollTrigger implements ProviderTrigger {
  readonly name = 'trakt-poll';
  /** Playback and plays are what runs read from Trakt; every pause moves `paused_at`, every play `watched_at`. */
  readonly seesEveryChange = true;
  private readonly intervalMs: number;
  private readonly minBackoffMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private failures = 0;
  private last: LastActivities | undefined;
  private state: TriggerHealth;

  /** `read` makes the one request (the module gives it the signed-in client). */
  constructor(
    private readonly id: string,
    private readonly read: () => Promise<LastActivities>,
    private readonly ctx: TriggerContext,
    opts: TraktPollOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? TRAKT_POLL_DEFAULT_MS;
    this.minBackoffMs = Math.min(opts.minBackoffMs ?? 5000, this.intervalMs);
    this.state = { state: 'connecting', since: ctx.now(), reconnects: 0 };
  }

  start(onEvent: (event: ItemEvent) => void): void {
    this.stopped = false;
    const tick = () => {
      this.running = this.poll(onEvent).finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        // After a failure, retry sooner than the interval, but with a growing delay.
        const delay = this.failures === 0 ? this.intervalMs : Math.min(this.intervalMs, this.minBackoffMs * 2 ** (this.failures - 1));
        this.timer = setTimeout(tick, delay);
        this.timer.unref();
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  health(): TriggerHealth {
    return { ...this.state };
  }

  private setState(state: TriggerHealth['state']): void {
    if (state !== this.state.state) this.state = { ...this.state, state, since: this.ctx.now() };
  }

  private async poll(onEvent: (event: ItemEvent) => void): Promise<void> {
    let now: LastActivities;
    try {
      now = await this.read();
    } catch (error) {
      if (this.failures > 0) this.state.reconnects++;
      this.failures++;
      this.setState('down');
      // Provider errors carry no tokens (the HTTP layer redacts its URLs; headers are not quoted).
      this.state.lastError = error instanceof Error ? error.message : String(error);
      this.ctx.log.warn({ provider: this.id, trigger: this.name, error: this.state.lastError }, 'trakt poll failed');
      return;
    }
    if (this.failures > 0) this.state.reconnects++;
    this.failures = 0;
    this.setState('up');
    const before = this.last;
    this.last = now;
    // The first answer is the baseline: serve's full run on start reads playback anyway.
    if (!before) return;
    if (sameStamps(before.movies, now.movies) && sameStamps(before.episodes, now.episodes)) return;
    const at = this.ctx.now();
    this.state.lastEventAt = at;
    onEvent({ provider: this.id, nativeId: '*', kind: 'changed', at, via: this.name });
  }
}

/** The module's trigger: reads with the tokens `playhead auth` saved (and a run refreshed). */
export function traktPollTrigger(
  id: string,
  config: TraktProviderConfig,
  ctx: TriggerContext & { state: ProviderState },
  opts: TraktPollOptions = {},
): TraktPollTrigger {
  const client = traktClientFor(id, config, { log: ctx.log, now: ctx.now });
  return new TraktPollTrigger(
    id,
    async () => {
      const tokens = loadTokens(ctx.state);
      if (!tokens) throw new Error(`${id}: not signed in to Trakt; run \`playhead auth ${id}\``);
      const { body } = await client.api.json(lastActivities, 'GET', '/sync/last_activities', undefined, { authorization: `Bearer ${tokens.accessToken}` });
      return body;
    },
    ctx,
    opts,
  );
}
