// `playhead auth <provider>`: sign in to a provider that needs an interactive grant (Trakt's
// device flow, see its module's `signIn`). The tokens go to the state database (a 0600 file),
// never to stdout or logs.
import type { Logger } from 'pino';
import type { Config } from '../config/types.ts';
import { UnknownPairError } from '../engine/run-all.ts';
import { moduleFor } from '../providers/registry.ts';
import type { Store } from '../store/store.ts';

export async function authProvider(opts: {
  config: Config;
  store: Store;
  log: Logger;
  provider: string;
  out: (line: string) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}): Promise<void> {
  const pc = opts.config.providers[opts.provider];
  if (!pc) throw new UnknownPairError(`provider "${opts.provider}" is not configured; configured: ${Object.keys(opts.config.providers).join(', ')}`);
  const module = moduleFor(pc.kind);
  if (!module.signIn) throw new UnknownPairError(`provider "${opts.provider}" is ${pc.kind}: it signs in with the token in playhead.yaml, no \`auth\` needed`);
  await module.signIn({
    id: opts.provider,
    config: pc,
    state: opts.store.providerState(opts.provider),
    log: opts.log,
    now: opts.now ?? Date.now,
    sleep: opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    out: opts.out,
  });
  opts.out(`Signed in. ${opts.provider} is ready; the tokens are kept in ${opts.config.state.path} (readable by you only).`);
}
