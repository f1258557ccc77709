// The Trakt provider kind, as the rest of Playhead sees it (see ../module.ts).
import type { RunningTraktEmulator } from '../../../emulators/trakt/server.ts';
import { describe, isRecord, strict } from '../../config/fields.ts';
import { userScopedName } from '../../config/names.ts';
import type { ProviderModule } from '../module.ts';
import { traktCapabilities } from './capabilities.ts';
import { traktClientFor } from './client.ts';
import { TRAKT_WHAT, traktConfigSchema, traktFields, type TraktProviderConfig } from './config.ts';
import { deviceLogin, saveTokens } from './oauth.ts';
import { TraktProvider } from './provider.ts';
import { traktPollTrigger } from './trigger-poll.ts';

export const traktModule: ProviderModule<TraktProviderConfig, RunningTraktEmulator> = {
  kind: 'trakt',
  label: 'Trakt',
  configSchema: traktConfigSchema,
  users: {
    serverSchema: strict(traktFields, TRAKT_WHAT),
    // Each user signs in with `playhead auth`: their entry holds nothing.
    checkEntry(value, { user, server, add }) {
      const signIn = `each user signs in to Trakt with \`playhead auth ${userScopedName(server, user)}\``;
      if (value === null || (isRecord(value) && Object.keys(value).length === 0)) return {};
      if (!isRecord(value)) {
        add([], `must be an empty mapping ({}): ${signIn} (got ${describe(value)})`);
        return undefined;
      }
      for (const key of Object.keys(value)) add([key], `a Trakt entry takes no settings (leave it empty: {}); ${signIn}`);
      return undefined;
    },
  },
  capabilities: (config) => traktCapabilities(config.completionPercent),
  create: (id, config, ctx, opts) => new TraktProvider(id, config, ctx, opts),
  triggers: (id, config, ctx) =>
    ctx.state ? [traktPollTrigger(id, config, { ...ctx, state: ctx.state }, ctx.pollIntervalMs !== undefined ? { intervalMs: ctx.pollIntervalMs } : {})] : [],
  emulator: {
    async runCli(args) {
      const { runTraktEmulatorCli } = await import('../../../emulators/trakt/cli.ts');
      const { tokens: _tokens, version: _version, ...common } = args;
      return runTraktEmulatorCli(common);
    },
    async start(opts) {
      const { startTraktEmulator } = await import('../../../emulators/trakt/server.ts');
      return startTraktEmulator(opts);
    },
  },
  initTarget: {
    takesUrl: false,
    serverName: (n) => (n === 1 ? 'trakt' : `trakt-${n}`),
    serverLines: (_t, ref) => [
      `    client_id: ${ref('TRAKT_CLIENT_ID')}         # your Trakt app (trakt.tv/oauth/applications)`,
      `    client_secret: ${ref('TRAKT_CLIENT_SECRET')}`,
    ],
    userLine: (t, u) =>
      u.owner
        ? `    ${t.name}: {}   # sign in once: playhead auth ${t.name}@${u.name}`
        : `    # ${t.name}: {}   # if ${u.name} has a Trakt account; then: playhead auth ${t.name}@${u.name}`,
  },
  // The device flow: the person opens a URL and enters a code; the tokens go to the state database.
  async signIn({ id, config, state, log, now, sleep, out }) {
    const client = traktClientFor(id, config, { log });
    const tokens = await deviceLogin({
      auth: client.auth,
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      now,
      sleep,
      prompt: (url, code, expiresIn) =>
        out(`To let Playhead use your Trakt account, open ${url} and enter the code ${code} (valid ${Math.round(expiresIn / 60)} min). Waiting…`),
    });
    saveTokens(state, tokens);
  },
};
