// serve's real-time side: every provider kind's triggers for the providers pairs read from, their
// events routed to item-scoped runs (through the ItemQueue's coalescing and settling, then the
// scheduler, so runs still never collide), their health watched for /api/pairs, SSE and
// /metrics, and a run of the affected pairs when a trigger comes back after being down: what
// changed while nobody was listening is picked up then, not at the next scheduled run.
import type { Logger } from 'pino';
import type { Config } from '../config/types.ts';
import type { PairConfig } from '../core/pair.ts';
import { installationIdOf } from '../engine/run-all.ts';
import { moduleFor } from '../providers/registry.ts';
import type { ItemEvent, ProviderTrigger, TriggerHealth } from '../providers/trigger.ts';
import type { Store } from '../store/store.ts';
import type { EventBus } from './events.ts';
import { DEFAULT_SETTLE_SECONDS, ItemQueue, type ItemWork } from './items.ts';
import type { ServeMetrics } from './metrics.ts';
import type { RunOutcome } from './runner.ts';
import { type Scheduler, scheduleGapMs } from './scheduler.ts';

/** How often trigger health is looked at (health changes become SSE events and gauges). */
const HEALTH_POLL_MS = 100;
/** A poll trigger asks at least daily, however rare its pairs' schedule (and a timer's delay stays in range). */
const MAX_POLL_MS = 24 * 3_600_000;

export interface ServeTriggersOptions {
  config: Config;
  store: Store;
  log: Logger;
  events: EventBus;
  metrics: ServeMetrics;
  scheduler: Scheduler<RunOutcome>;
  /** The triggers' first reconnect backoff (tests). */
  minBackoffMs?: number;
  /** Between polls of poll triggers (tests). */
  pollIntervalMs?: number;
}

interface Running {
  provider: string;
  trigger: ProviderTrigger;
  state: TriggerHealth['state'];
  reconnects: number;
  /** Up at least once: a later "up" is a reconnect, after which missed changes are caught up. */
  wasUp: boolean;
}

export interface TriggerStatus extends TriggerHealth {
  name: string;
}

/** The pairs an event on `provider` concerns: one-way pairs reading from it, two-way pairs on either side. */
function pairsReading(pairs: PairConfig[], provider: string): PairConfig[] {
  return pairs.filter((p) => p.source === provider || (p.mode === 'two-way' && p.target === provider));
}

/** The providers a pair reads from: its source, and for a two-way pair its target too. */
const readSides = (pair: PairConfig): string[] => (pair.mode === 'two-way' ? [pair.source, pair.target] : [pair.source]);

/** A poll trigger polls as often as the most frequent schedule among the pairs reading from its provider. */
function pollIntervalFor(pairs: PairConfig[], provider: string, now: number): number {
  return Math.min(MAX_POLL_MS, ...pairsReading(pairs, provider).map((p) => scheduleGapMs(p.schedule, now)));
}

export class ServeTriggers {
  private readonly running: Running[] = [];
  private readonly queue: ItemQueue;
  private poll: NodeJS.Timeout | undefined;
  /** When each pair's last full, real, successful run started: what it read is what a poll then watched. */
  private readonly lastFullRead = new Map<string, number>();

  constructor(private readonly opts: ServeTriggersOptions) {
    const settle = new Map(opts.config.pairs.map((p) => [p.name, (p.settleSeconds ?? opts.config.settleSeconds ?? DEFAULT_SETTLE_SECONDS) * 1000]));
    this.queue = new ItemQueue({
      log: opts.log,
      settleMs: (pair) => settle.get(pair) ?? DEFAULT_SETTLE_SECONDS * 1000,
      run: (work) => this.runItem(work),
    });
  }

  /** Starts the triggers of every provider a pair reads from. */
  start(): void {
    const { config, log } = this.opts;
    const providers = new Set(config.pairs.flatMap((p) => (p.mode === 'two-way' ? [p.source, p.target] : [p.source])));
    for (const id of providers) {
      const providerConfig = config.providers[id];
      if (!providerConfig) continue;
      const module = moduleFor(providerConfig.kind);
      const triggers =
        module.triggers?.(id, providerConfig, {
          log,
          now: Date.now,
          state: this.opts.store.providerState(id),
          installationId: installationIdOf(this.opts.store, false),
          ...(this.opts.minBackoffMs !== undefined ? { minBackoffMs: this.opts.minBackoffMs } : {}),
          pollIntervalMs: this.opts.pollIntervalMs ?? pollIntervalFor(config.pairs, id, Date.now()),
        }) ?? [];
      for (const trigger of triggers) {
        this.running.push({ provider: id, trigger, state: 'connecting', reconnects: 0, wasUp: false });
        this.opts.metrics.trigger(id, trigger.name, false, 0);
        trigger.start((event) => this.onEvent(event));
        log.info({ provider: id, trigger: trigger.name }, 'trigger started');
      }
    }
    if (this.running.length > 0) {
      this.poll = setInterval(() => this.watch(), HEALTH_POLL_MS);
      this.poll.unref();
    }
  }

  /** The triggers of a provider and their health (for /api/pairs). */
  health(provider: string): TriggerStatus[] {
    return this.running.filter((r) => r.provider === provider).map((r) => ({ name: r.trigger.name, ...r.trigger.health() }));
  }

  /**
   * After any run of a pair: the event-to-write latency of an item run that wrote, and a later
   * re-read of each item the run found playing (`playing_now`), so a full scan's mid-playback
   * snapshot is replaced by the position the session ends at.
   */
  afterRun(outcome: RunOutcome, work?: ItemWork): void {
    if (outcome.dryRun) return;
    const startedAt = outcome.runId !== undefined && !outcome.items && outcome.status === 'ok' ? this.opts.store.run(outcome.runId)?.startedAt : undefined;
    if (startedAt !== undefined) this.lastFullRead.set(outcome.pair, startedAt);
    if (work?.firstEventAt !== undefined && outcome.decisions.some((d) => d.action === 'write' && d.reason !== 'failed')) {
      this.opts.metrics.eventWritten(outcome.pair, work.via, (Date.now() - work.firstEventAt) / 1000);
    }
    const pair = this.opts.config.pairs.find((p) => p.name === outcome.pair);
    const playing = new Set(outcome.decisions.filter((d) => d.reason === 'playing_now').map((d) => d.key));
    if (!pair || playing.size === 0) return;
    // Re-read from a side that showed the item with a position: a two-way item run reads the
    // other side's copy through the id index, so either side's native id will do.
    for (const side of readSides(pair)) {
      for (const o of this.opts.store.positionedObservations(side)) {
        if (!playing.delete(o.key)) continue;
        this.queue.recheck(pair.name, side, o.ref);
      }
    }
  }

  /**
   * The scheduler's question at a tick: why a scheduled run of `pairName` has nothing to find,
   * or undefined to run it. Nothing to find: every provider it reads from has a trigger that sees
   * every change (Trakt's poll: a moved `paused_at` already ran the pair) and that has been up
   * since before the pair's last full run started (a change after that run's read was polled),
   * and no item of the pair waits for a retry.
   */
  scheduledRunNotNeeded(pairName: string): string | undefined {
    const pair = this.opts.config.pairs.find((p) => p.name === pairName);
    const lastRead = this.lastFullRead.get(pairName);
    if (!pair || lastRead === undefined || this.opts.store.pendingFor(pairName).size > 0) return undefined;
    const watchers: string[] = [];
    for (const provider of readSides(pair)) {
      const watcher = this.running.find((r) => {
        const health = r.trigger.health();
        return r.provider === provider && r.trigger.seesEveryChange === true && health.state === 'up' && health.since <= lastRead;
      });
      if (!watcher) return undefined;
      watchers.push(`${provider}'s ${watcher.trigger.name}`);
    }
    return `${watchers.join(' and ')} saw no change since the last full run`;
  }

  async stop(): Promise<void> {
    if (this.poll) clearInterval(this.poll);
    this.queue.stop();
    await Promise.all(this.running.map((r) => r.trigger.stop()));
  }

  /** An event from outside a running trigger (the webhook endpoint): routed like a trigger's. */
  receive(event: ItemEvent): void {
    this.onEvent(event);
  }

  private onEvent(event: ItemEvent): void {
    // `*`: the trigger cannot say which items changed (a socket back after a drop, Trakt's
    // activity times moving), so the pairs reading from it run in full.
    if (event.nativeId === '*') {
      this.runWhole(event.provider, event.via);
      return;
    }
    const pairs = pairsReading(this.opts.config.pairs, event.provider);
    this.opts.log.debug({ provider: event.provider, item: event.nativeId, kind: event.kind, via: event.via, pairs: pairs.map((p) => p.name) }, 'trigger event');
    for (const pair of pairs) this.queue.push(pair.name, event);
  }

  private runItem(work: ItemWork): void {
    const pair = this.opts.config.pairs.find((p) => p.name === work.pair);
    if (!pair) return;
    this.opts.scheduler
      .requestItems(pair.name, work.via, [{ provider: work.provider, nativeId: work.nativeId }])
      .then((outcome) => {
        if (outcome) this.afterRun(outcome, work);
      })
      .catch((err: unknown) => this.opts.log.warn({ pair: pair.name, err: err instanceof Error ? err.message : String(err) }, 'item run not done'));
  }

  private watch(): void {
    for (const r of this.running) {
      const health = r.trigger.health();
      // A drop and reconnect can both happen between two looks: the reconnect count tells.
      const reconnected = health.reconnects > r.reconnects;
      if (health.state === r.state && !reconnected) continue;
      if (reconnected && r.state === 'up') this.publish(r, { ...health, state: 'down' });
      r.state = health.state;
      r.reconnects = health.reconnects;
      this.publish(r, health);
      if (health.state !== 'up') continue;
      if (r.wasUp) this.catchUp(r);
      r.wasUp = true;
    }
  }

  private publish(r: Running, health: TriggerHealth): void {
    this.opts.metrics.trigger(r.provider, r.trigger.name, health.state === 'up', health.reconnects);
    this.opts.events.publish({
      type: 'trigger',
      provider: r.provider,
      trigger: r.trigger.name,
      state: health.state,
      reconnects: health.reconnects,
      ...(health.lastError !== undefined ? { lastError: health.lastError } : {}),
      at: Date.now(),
    });
    this.opts.log.info({ provider: r.provider, trigger: r.trigger.name, state: health.state, err: health.lastError }, 'trigger state');
  }

  /** Back after being down: the pairs reading from it run in full (queued like item runs, never refused). */
  private catchUp(r: Running): void {
    this.runWhole(r.provider, `${r.trigger.name}-reconnect`);
  }

  private runWhole(provider: string, via: string): void {
    for (const pair of pairsReading(this.opts.config.pairs, provider)) {
      // Its outcome reaches afterRun through the runner, as a scheduled run's does.
      this.opts.scheduler
        .requestItems(pair.name, via, undefined)
        .catch((err: unknown) => this.opts.log.warn({ pair: pair.name, err: err instanceof Error ? err.message : String(err) }, 'catch-up run not done'));
    }
  }
}
