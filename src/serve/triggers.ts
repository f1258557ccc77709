// serve's real-time side: every provider kind's triggers for the providers pairs read from, their
// events routed to item-scoped runs (through the ItemQueue's coalescing and settling, then the
// scheduler, so runs still never collide), their health watched for /api/pairs, SSE and
// /metrics, and a run of the affected pairs when a trigger comes back after being down: what
// changed while nobody was listening is picked up then, not at the next scheduled run.
// Several instances on one server (one per user) share the server's triggers where one sees
// every account (Plex's owner socket, a Jellyfin/Emby API key's), and an event naming an
// account goes to that account's instance only: a user's play never runs another user's pairs.
import type { Logger } from 'pino';
import type { Config } from '../config/types.ts';
import type { PairConfig } from '../core/pair.ts';
import { installationIdOf } from '../engine/run-all.ts';
import type { ProviderConfigBase, ProviderModule, ServerInstance, TriggerContext, TriggerHolder } from '../providers/module.ts';
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
/** An account that could not be asked (server down) is asked again, backing off to this. */
const MAX_ACCOUNT_RETRY_MS = 300_000;
const FIRST_ACCOUNT_RETRY_MS = 5_000;

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
  /** The instance whose config opened it. */
  provider: string;
  /** The instances its events without a user, its catch-ups and its health are for. */
  serves: Set<string>;
  trigger: ProviderTrigger;
  state: TriggerHealth['state'];
  reconnects: number;
  /** Up at least once: a later "up" is a reconnect, after which missed changes are caught up. */
  wasUp: boolean;
}

export interface TriggerStatus extends TriggerHealth {
  name: string;
  /** The provider whose token opened it (the server's owner for a shared Plex user's pairs). */
  holder?: string;
}

/** The configured instances of one server of a kind. */
interface ServerGroup {
  module: ProviderModule;
  members: string[];
  /** Accounts asked and answered (an answer may be "not known"). */
  accounts: Map<string, string | undefined>;
  retryMs: number;
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
  /** Provider id → its server's group (kinds with `serverKey`; others are a group of one). */
  private readonly groupOf = new Map<string, ServerGroup>();
  /** Providers no trigger can reach (the server will not tell their account, or no token
   * here may open the server's socket): why, for their pairs' trigger health. */
  private readonly unheard = new Map<string, string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly opts: ServeTriggersOptions) {
    const settle = new Map(opts.config.pairs.map((p) => [p.name, (p.settleSeconds ?? opts.config.settleSeconds ?? DEFAULT_SETTLE_SECONDS) * 1000]));
    this.queue = new ItemQueue({
      log: opts.log,
      settleMs: (pair) => settle.get(pair) ?? DEFAULT_SETTLE_SECONDS * 1000,
      run: (work) => this.runItem(work),
    });
  }

  /** Starts the triggers of every provider a pair reads from, one set per server where the
   * kind shares them (after asking whose accounts the server's instances are). */
  start(): void {
    const { config } = this.opts;
    const readers = new Set(config.pairs.flatMap((p) => (p.mode === 'two-way' ? [p.source, p.target] : [p.source])));
    const groups = new Map<string, ServerGroup>();
    for (const [id, providerConfig] of Object.entries(config.providers)) {
      const module = moduleFor(providerConfig.kind);
      if (!module.triggers && !module.parseWebhook) continue;
      const key = module.serverKey ? `${providerConfig.kind}\n${module.serverKey(providerConfig)}` : `instance\n${id}`;
      let group = groups.get(key);
      if (!group) {
        group = { module, members: [], accounts: new Map(), retryMs: this.opts.minBackoffMs ?? FIRST_ACCOUNT_RETRY_MS };
        groups.set(key, group);
      }
      group.members.push(id);
      this.groupOf.set(id, group);
    }
    let listening = false;
    for (const group of groups.values()) {
      if (!group.members.some((id) => readers.has(id))) continue;
      listening = true;
      this.plan(group, readers);
      if (group.module.accountId) void this.resolveAccounts(group, readers);
    }
    if (listening) {
      this.poll = setInterval(() => this.watch(), HEALTH_POLL_MS);
      this.poll.unref();
    }
  }

  private triggerContext(id: string): TriggerContext {
    return {
      log: this.opts.log,
      now: Date.now,
      state: this.opts.store.providerState(id),
      installationId: installationIdOf(this.opts.store, false),
      ...(this.opts.minBackoffMs !== undefined ? { minBackoffMs: this.opts.minBackoffMs } : {}),
      pollIntervalMs: this.opts.pollIntervalMs ?? pollIntervalFor(this.opts.config.pairs, id, Date.now()),
    };
  }

  /** Asks each instance of the server whose account it is; those the server could not be asked
   * about are asked again later, backing off. Each answer may change who holds the triggers. */
  private async resolveAccounts(group: ServerGroup, readers: Set<string>): Promise<void> {
    const { config, log } = this.opts;
    const ask = group.members.filter((id) => !group.accounts.has(id));
    let failed = false;
    await Promise.all(
      ask.map(async (id) => {
        const providerConfig = config.providers[id] as ProviderConfigBase;
        try {
          const account = await group.module.accountId?.(id, providerConfig, this.triggerContext(id));
          group.accounts.set(id, account);
          if (account === undefined && readers.has(id)) {
            this.unhear(
              id,
              `${id}: the server does not say which ${group.module.label} account this token is (Plex: set account_id): no real-time event reaches its pairs, which run on their schedule`,
            );
          }
        } catch (err) {
          failed = true;
          log.info(
            { provider: id, err: err instanceof Error ? err.message : String(err) },
            'trigger: the account of this provider is not known yet; asked again later',
          );
        }
      }),
    );
    if (this.stopped) return;
    this.plan(group, readers);
    if (!failed) {
      for (const id of group.members) {
        if (!readers.has(id) || this.unheard.has(id) || this.running.some((r) => r.serves.has(id))) continue;
        // Plex: only the owner's token opens the notifications socket, and none here is.
        this.unhear(
          id,
          `${id}: no provider configured on this ${group.module.label} server may open its real-time triggers (Plex: the owner's token); its pairs hear webhooks only, and run on their schedule`,
        );
      }
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.resolveAccounts(group, readers);
    }, group.retryMs);
    timer.unref();
    this.timers.add(timer);
    group.retryMs = Math.min(MAX_ACCOUNT_RETRY_MS, group.retryMs * 2);
  }

  /** Said once in the log, and kept for the trigger health of the provider's pairs. */
  private unhear(id: string, why: string): void {
    this.unheard.set(id, why);
    this.opts.log.warn({ provider: id }, why);
  }

  /** Starts the triggers the server's holders open (those not started yet), for the instances pairs read from. */
  private plan(group: ServerGroup, readers: Set<string>): void {
    const { config, log } = this.opts;
    if (!group.module.triggers) return;
    const instances: ServerInstance<ProviderConfigBase>[] = group.members.map((id) => ({
      id,
      config: config.providers[id] as ProviderConfigBase,
      accountId: group.accounts.get(id),
    }));
    const holders: TriggerHolder[] = group.module.shareTriggers?.(instances) ?? group.members.map((id) => ({ holder: id, serves: [id] }));
    for (const { holder, serves } of holders) {
      const wanted = serves.filter((id) => readers.has(id));
      if (wanted.length === 0) continue;
      const started = this.running.filter((r) => r.provider === holder);
      if (started.length > 0) {
        for (const r of started) for (const id of wanted) r.serves.add(id);
        continue;
      }
      const providerConfig = config.providers[holder] as ProviderConfigBase;
      for (const trigger of group.module.triggers(holder, providerConfig, this.triggerContext(holder))) {
        const running: Running = { provider: holder, serves: new Set(wanted), trigger, state: 'connecting', reconnects: 0, wasUp: false };
        this.running.push(running);
        this.opts.metrics.trigger(holder, trigger.name, false, 0);
        trigger.start((event) => this.onEvent(event, running));
        log.info({ provider: holder, trigger: trigger.name, serves: wanted }, 'trigger started');
      }
    }
  }

  /** The triggers serving a provider and their health (for /api/pairs). A provider whose account
   * is not known hears nothing from them: shown down, with why. */
  health(provider: string): TriggerStatus[] {
    const unknown = this.unheard.get(provider);
    const serving = this.running.filter((r) => r.serves.has(provider)).map((r) => ({ name: r.trigger.name, holder: r.provider, ...r.trigger.health() }));
    if (unknown === undefined) return serving;
    const since = Date.now();
    if (serving.length === 0) return [{ name: 'account', state: 'down', since, reconnects: 0, lastError: unknown }];
    return serving.map((t) => ({ ...t, state: 'down', lastError: unknown }));
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
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    if (this.poll) clearInterval(this.poll);
    this.queue.stop();
    await Promise.all(this.running.map((r) => r.trigger.stop()));
  }

  /** An event from outside a running trigger (the webhook endpoint): routed like a trigger's. */
  receive(event: ItemEvent): void {
    this.onEvent(event);
  }

  private onEvent(event: ItemEvent, from?: Running): void {
    const { log } = this.opts;
    const providers = this.route(event, from);
    if (providers.length === 0) {
      log.debug(
        { provider: event.provider, item: event.nativeId, kind: event.kind, via: event.via },
        'trigger event of an account no provider acts as: dropped',
      );
      return;
    }
    for (const provider of providers) {
      // `*`: the trigger cannot say which items changed (a socket back after a drop, Trakt's
      // activity times moving), so the pairs reading from it run in full.
      if (event.nativeId === '*') {
        this.runWhole(provider, event.via);
        continue;
      }
      const pairs = pairsReading(this.opts.config.pairs, provider);
      log.debug({ provider, item: event.nativeId, kind: event.kind, via: event.via, pairs: pairs.map((p) => p.name) }, 'trigger event');
      for (const pair of pairs) this.queue.push(pair.name, { ...event, provider });
    }
  }

  /**
   * Which providers an event is for. Naming an account: the instances on the event's server that
   * act as that account, and no other. Naming none (Trakt's poll, a catch-up, a played-state
   * change the server names nobody for): the instances the trigger serves, or the event's own
   * provider; each reads the item for its own account.
   */
  private route(event: ItemEvent, from: Running | undefined): string[] {
    const account = event.user?.id;
    if (account === undefined) return from ? [...from.serves] : [event.provider];
    const group = this.groupOf.get(event.provider);
    if (!group) return [];
    const key = group.module.accountKey ?? ((id: string) => id);
    const wanted = key(account);
    return group.members.filter((id) => {
      const known = group.accounts.get(id);
      return known !== undefined && key(known) === wanted;
    });
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

  /** Back after being down: the pairs reading from the instances it serves run in full (queued like item runs, never refused). */
  private catchUp(r: Running): void {
    for (const provider of r.serves) this.runWhole(provider, `${r.trigger.name}-reconnect`);
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
