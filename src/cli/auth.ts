// `playhead auth <provider>`: sign in to a provider that needs an interactive grant (Trakt's
// device flow). The tokens go to the state database (a 0600 file), never to stdout or logs.
import type { Config } from '../core/config.ts';
import { TraktClient } from '../providers/trakt/client.ts';
import { deviceLogin, saveTokens } from '../providers/trakt/oauth.ts';
import { UnknownPairError } from '../engine/run-all.ts';
import type { Store } from '../store/store.ts';
import type { Logger } from 'pino';

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
  if (pc.kind !== 'trakt') throw new UnknownPairError(`provider "${opts.provider}" is ${pc.kind}: it signs in with the token in playhead.yaml, no \`auth\` needed`);
  const now = opts.now ?? Date.now;
  const client = new TraktClient({ provider: opts.provider, url: pc.url, authUrl: pc.authUrl, clientId: pc.clientId, timeoutMs: pc.timeoutMs, retries: pc.retries, writesPerSecond: pc.writesPerSecond, log: opts.log });
  const tokens = await deviceLogin({
    auth: client.auth,
    clientId: pc.clientId,
    clientSecret: pc.clientSecret,
    now,
    sleep: opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    prompt: (url, code, expiresIn) => opts.out(`To let Playhead use your Trakt account, open ${url} and enter the code ${code} (valid ${Math.round(expiresIn / 60)} min). Waiting…`),
  });
  saveTokens(opts.store.providerState(opts.provider), tokens);
  opts.out(`Signed in. ${opts.provider} is ready; the tokens are kept in ${opts.config.state.path} (readable by you only).`);
}
