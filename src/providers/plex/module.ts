// The Plex provider kind, as the rest of Playhead sees it (see ../module.ts).
import type { RunningPlexEmulator } from '../../../emulators/plex/server.ts';
import { describe, isRecord, strict, tokenSchema, without } from '../../config/fields.ts';
import { envName } from '../../config/names.ts';
import type { ProviderModule } from '../module.ts';
import { serverUrlKey } from '../trigger.ts';
import { plexAccountId, plexShareTriggers } from './account.ts';
import { plexCapabilities } from './capabilities.ts';
import { plexAccountId as accountIdSchema, plexConfigSchema, plexFields, plexLibraries, type PlexProviderConfig } from './config.ts';
import { discoverPlex } from './discover.ts';
import { PlexProvider } from './provider.ts';
import { parsePlexWebhook } from './webhook.ts';
import { plexWebsocketTrigger } from './trigger-websocket.ts';

export const plexModule: ProviderModule<PlexProviderConfig, RunningPlexEmulator> = {
  kind: 'plex',
  label: 'Plex',
  configSchema: plexConfigSchema,
  users: {
    // A Plex token is one account's: the server entry has none, each user brings theirs.
    serverSchema: strict(without(without(plexFields, 'token'), 'account_id'), 'a mapping of Plex server settings (kind, url, libraries, …)'),
    misplacedServerKeys: {
      token: (server) => `a Plex token is one user's: give each user theirs under users.<user>.${server}.token`,
      account_id: (server) => `an account id is one user's: give each user theirs under users.<user>.${server}.account_id`,
    },
    checkEntry(value, { user, server, add }) {
      if (!isRecord(value)) {
        const example = `{ token: "\${PLEX_TOKEN_${envName(user)}}" }`;
        add([], `must be a mapping with this user's Plex token, e.g. ${example} (got ${describe(value)})`);
        return undefined;
      }
      if (value.token === undefined) add(['token'], `is required: ${user}'s own Plex token (X-Plex-Token) for ${server}; one token is one Plex account`);
      return value;
    },
    entrySchema: strict(
      { token: tokenSchema, account_id: accountIdSchema.optional(), libraries: plexLibraries },
      "a mapping with this user's Plex token (token, account_id, libraries)",
    ),
    account(entry, { user }) {
      const token = typeof entry.token === 'string' ? entry.token.trim() : '';
      if (token === '') return undefined;
      // One token is one account on every server, so the key does not name the server.
      return {
        key: `plex token\n${token}`,
        field: 'token',
        clash: (first) =>
          `the same token as users.${first.user}.${first.server}.token: one Plex token is one Plex account, so ${first.user}'s and ${user}'s progress would cross; give each user their own token`,
      };
    },
  },
  capabilities: (config) => plexCapabilities(config.maxConcurrentWrites, config.completionPercent),
  create: (id, config, ctx, opts) => new PlexProvider(id, config, ctx, opts),
  parseWebhook: (id, _config, body) => parsePlexWebhook(id, body),
  triggers: (id, config, ctx) => [plexWebsocketTrigger(id, config, ctx)],
  serverKey: (config) => serverUrlKey(config.url),
  accountId: plexAccountId,
  shareTriggers: plexShareTriggers,
  emulator: {
    async runCli(args) {
      const { runPlexEmulatorCli } = await import('../../../emulators/plex/cli.ts');
      const { tokens, version: _version, ...common } = args;
      return runPlexEmulatorCli({ ...common, tokens: tokens ?? [] });
    },
    async start(opts) {
      const { startPlexEmulator } = await import('../../../emulators/plex/server.ts');
      return startPlexEmulator(opts);
    },
  },
  discover: discoverPlex,
  initTarget: {
    takesUrl: true,
    // plex-2, plex-3…: never plain `plex`, so their variables cannot clash with PLEX_TOKEN_<NAME>.
    serverName: (n) => `plex-${n + 1}`,
    serverLines: (t) => [`    url: ${t.url ?? ''}`],
    userLine: (t, u, ref) => `    ${t.name}: { token: ${ref(`${envName(t.name)}_TOKEN_${envName(u.name)}`)} }`,
  },
};
