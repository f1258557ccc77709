// Which providers and pairs a positions listing covers, given its `user` and `provider` filters:
// one rule for `GET /api/positions` and the dashboard's Continue Watching page.
import type { Config } from '../config/types.ts';
import type { PositionPair } from '../store/store.ts';

export type PositionsScope = { providers: string[]; pairs: PositionPair[] } | { error: string };

export function positionsScope(config: Config, filter: { user?: string | undefined; provider?: string | undefined }): PositionsScope {
  let providers = Object.keys(config.providers);
  if (filter.user !== undefined) {
    const user = config.users?.[filter.user];
    if (!user) return { error: `no user "${filter.user}"; configured users: ${Object.keys(config.users ?? {}).join(', ') || 'none'}` };
    providers = providers.filter((p) => user.providers.includes(p));
  }
  if (filter.provider !== undefined) {
    if (!config.providers[filter.provider]) return { error: `no provider "${filter.provider}"` };
    providers = providers.filter((p) => p === filter.provider);
  }
  // A pair is compared only when both its sides are shown.
  const pairs = config.pairs
    .filter((p) => providers.includes(p.source) && providers.includes(p.target))
    .map((p) => ({ name: p.name, source: p.source, target: p.target, deltaMs: p.features.progress.deltaSeconds * 1000 }));
  return { providers, pairs };
}
