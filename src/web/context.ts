// What every dashboard page is given: the same objects the HTTP API answers from (config, store,
// scheduler, event bus, trigger health), so a page and `GET /api/...` never disagree.
import type { Logger } from 'pino';
import type { Config } from '../config/types.ts';
import type { Store } from '../store/store.ts';
import type { EventBus } from '../serve/events.ts';
import type { RunOutcome } from '../serve/runner.ts';
import type { Scheduler } from '../serve/scheduler.ts';
import type { TriggerStatus } from '../serve/triggers.ts';

export interface DashboardContext {
  config: Config;
  store: Store;
  log: Logger;
  scheduler: Scheduler<RunOutcome>;
  events: EventBus;
  /** Aborted when serve stops (live streams end, undo's restores in flight finish). */
  signal: AbortSignal;
  /** The triggers listening to a provider, with their health. */
  triggerHealth: (provider: string) => TriggerStatus[];
  /** PLAYHEAD_API_TOKEN: when set, pages need a signed-in session (login form, HttpOnly cookie). */
  token?: string;
  /** Per-installation secret (state database kv) that signs session cookies and CSRF tokens. */
  secret: string;
  now: () => number;
}
