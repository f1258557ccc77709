// Starts the triggers each provider's module offers (websockets, polls) for the providers that
// pairs read from: a one-way pair's source, both sides of a two-way pair. Each trigger reconnects
// by itself; this only starts them, hands their events to serve's callback and stops them.
import type { Logger } from 'pino';
import type { Config } from '../config/types.ts';
import { findProviderModule } from '../providers/registry.ts';
import type { ItemEvent, ProviderTrigger } from '../providers/trigger.ts';
import type { Store } from '../store/store.ts';

export interface RunningTriggers {
  /** provider id → its triggers (for health). */
  readonly byProvider: ReadonlyMap<string, readonly ProviderTrigger[]>;
  stop(): Promise<void>;
}

export function startProviderTriggers(opts: {
  config: Config;
  store: Store;
  log: Logger;
  onEvent: (event: ItemEvent) => void;
  now?: () => number;
}): RunningTriggers {
  const { config } = opts;
  const read = new Set<string>();
  for (const pair of config.pairs) {
    read.add(pair.source);
    if (pair.mode === 'two-way') read.add(pair.target);
  }
  const byProvider = new Map<string, ProviderTrigger[]>();
  for (const id of read) {
    const provider = config.providers[id];
    const module = provider ? findProviderModule(provider.kind) : undefined;
    if (!provider || !module?.triggers) continue;
    const triggers = module.triggers(id, provider, { log: opts.log, now: opts.now ?? Date.now, state: opts.store.providerState(id) });
    for (const trigger of triggers) {
      trigger.start((event) => {
        try {
          opts.onEvent(event);
        } catch (err) {
          opts.log.error({ provider: id, trigger: trigger.name, error: err instanceof Error ? err.message : String(err) }, 'trigger event not handled');
        }
      });
    }
    if (triggers.length > 0) byProvider.set(id, triggers);
  }
  return {
    byProvider,
    async stop() {
      await Promise.all([...byProvider.values()].flat().map((t) => t.stop()));
    },
  };
}
