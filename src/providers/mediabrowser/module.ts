// The Jellyfin and Emby provider kinds, as the rest of Playhead sees them (see ../module.ts):
// two modules over one client and one config shape.
import type { RunningMediaBrowserEmulator } from '../../../emulators/mediabrowser/server.ts';
import { describe, isRecord, strict, tokenSchema, without } from '../../config/fields.ts';
import { envName } from '../../config/names.ts';
import type { ProviderModule } from '../module.ts';
import { mediaBrowserCapabilities } from './capabilities.ts';
import {
  mediaBrowserConfigSchema,
  mediaBrowserFields,
  mediaBrowserLabel,
  mediaBrowserLibraries,
  mediaBrowserUser,
  type MediaBrowserKind,
  type MediaBrowserProviderConfig,
} from './config.ts';
import { serverUrlKey } from '../trigger.ts';
import { mediaBrowserId, mediaBrowserUserKey } from './ids.ts';
import { MediaBrowserProvider } from './provider.ts';
import { MediaBrowserSocketTrigger } from './trigger-websocket.ts';
import { parseMediaBrowserWebhook } from './webhook.ts';

function mediaBrowserModule(kind: MediaBrowserKind): ProviderModule<MediaBrowserProviderConfig, RunningMediaBrowserEmulator> {
  const label = mediaBrowserLabel(kind);
  return {
    kind,
    label,
    configSchema: mediaBrowserConfigSchema(kind),
    users: {
      // The server's token, when present, is an API key that acts for each user.
      serverSchema: strict(
        { ...without(mediaBrowserFields(kind), 'user'), token: tokenSchema.optional() },
        `a mapping of ${label} server settings (kind, url, token, …)`,
      ),
      misplacedServerKeys: {
        user: (server) => `users are chosen per user: put \`user:\` under users.<user>.${server}`,
      },
      checkEntry(value, { user, server, serverHasToken, add }) {
        if (!isRecord(value)) {
          add([], `must be a mapping with this user's ${label} account, e.g. { user: ${user} } (got ${describe(value)})`);
          return undefined;
        }
        const has = (key: string) => value[key] !== undefined;
        if (kind === 'emby' && !has('user')) {
          add(['user'], `is required: Emby cannot tell whose token it is; give ${user}'s Emby user name or id`);
        }
        if (kind === 'jellyfin' && !has('user') && !has('token')) {
          add(
            [],
            `needs \`user\` (${user}'s Jellyfin user name or id, acted for with the API key in servers.${server}.token) or \`token\` (${user}'s own access token)`,
          );
        } else if (!has('token') && !serverHasToken) {
          add(['token'], `is required: servers.${server} has no token (an API key) to act for ${user}; set one there, or give ${user}'s own access token here`);
        }
        return value;
      },
      entrySchema: strict(
        { user: mediaBrowserUser, token: tokenSchema.optional(), libraries: mediaBrowserLibraries },
        `a mapping with this user's ${label} account (user, token, libraries)`,
      ),
      account(entry, { user, server }) {
        const name = typeof entry.user === 'string' ? entry.user.trim() : '';
        const token = typeof entry.token === 'string' ? entry.token.trim() : '';
        const field = name !== '' ? 'user' : 'token';
        return {
          key: name !== '' ? `${server}\nuser\n${mediaBrowserUserKey(name)}` : `${server}\ntoken\n${token}`,
          field,
          clash: (first) => `the same ${label} ${field} as ${first.path}: ${first.user}'s and ${user}'s progress would cross; give each user their own account`,
        };
      },
    },
    capabilities: (config) => mediaBrowserCapabilities(config.maxConcurrentWrites, config.completionPercent),
    create: (id, config, ctx, opts) => new MediaBrowserProvider(id, config, ctx, opts),
    triggers: (id, config, ctx) => [new MediaBrowserSocketTrigger(id, config, ctx, ctx.minBackoffMs !== undefined ? { minBackoffMs: ctx.minBackoffMs } : {})],
    serverKey: (config) => serverUrlKey(config.url),
    // The user this provider acts for, resolved as a run resolves it (sharing its cached server facts).
    accountId: async (id, config, ctx) => {
      const { state, installationId } = ctx;
      if (!state || installationId === undefined) return undefined;
      const provider = new MediaBrowserProvider(id, config, { state, installationId, log: ctx.log, now: ctx.now, dryRun: false });
      try {
        return await provider.userId();
      } finally {
        await provider.close();
      }
    },
    accountKey: mediaBrowserId,
    // One socket per token: an API key's (the `users:` form's servers token) reports every
    // user's plays, a user's own token its own.
    shareTriggers: (server) => {
      const byToken = new Map<string, string[]>();
      for (const s of server) byToken.set(s.config.token, [...(byToken.get(s.config.token) ?? []), s.id]);
      return [...byToken.values()].map((ids) => ({ holder: ids[0] as string, serves: ids }));
    },
    parseWebhook: (id, _config, body) => parseMediaBrowserWebhook(id, kind, body),
    emulator: {
      async runCli(args) {
        const { runMediaBrowserEmulatorCli } = await import('../../../emulators/mediabrowser/cli.ts');
        const { tokens, version, ...common } = args;
        return runMediaBrowserEmulatorCli({ ...common, dialect: kind, ...(tokens ? { tokens } : {}), ...(version ? { version } : {}) });
      },
      async start(opts) {
        const { startMediaBrowserEmulator } = await import('../../../emulators/mediabrowser/server.ts');
        return startMediaBrowserEmulator({ ...opts, dialect: kind });
      },
    },
    initTarget: {
      takesUrl: true,
      serverName: (n) => (n === 1 ? kind : `${kind}-${n}`),
      serverLines: (t, ref) => [
        `    url: ${t.url ?? ''}`,
        `    token: ${ref(`${envName(t.name)}_API_KEY`)}   # an API key (Dashboard → API Keys); users below by name`,
      ],
      userLine: (t, u) => `    ${t.name}: { user: ${JSON.stringify(u.accountName)} }   # the ${label} user; change it if the name differs`,
    },
  };
}

export const jellyfinModule = mediaBrowserModule('jellyfin');
export const embyModule = mediaBrowserModule('emby');
