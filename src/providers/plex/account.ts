// Whose account a Plex instance acts as, for `playhead serve`'s routing of events by account.
// `account_id` in the config says it (playhead init writes it from GET /accounts); without it
// the server tells only its owner: `GET /accounts` answers the owner's token (account 1) and
// refuses every other, whose account then stays unknown rather than guessed.
import { z } from 'zod';
import type { TriggerContext, TriggerHolder, ServerInstance } from '../module.ts';
import { ProviderError } from '../provider.ts';
import { PlexClient } from './client.ts';
import type { PlexProviderConfig } from './config.ts';

/** The owner's account on their own server. */
const PLEX_OWNER_ACCOUNT = '1';

const accountsProbe = z.object({ MediaContainer: z.looseObject({}) });

export function plexClientFor(id: string, config: PlexProviderConfig, ctx: TriggerContext, purpose: string): PlexClient {
  return new PlexClient({
    provider: id,
    url: config.url,
    token: config.token,
    clientId: config.clientId ?? `playhead-${purpose}-${id}`,
    timeoutMs: config.timeoutMs,
    retries: config.retries,
    log: ctx.log,
  });
}

/** The configured account, else "1" when the token is the owner's, else undefined (a server that
 * cannot be reached throws: asked again later). */
export async function plexAccountId(id: string, config: PlexProviderConfig, ctx: TriggerContext): Promise<string | undefined> {
  if (config.accountId !== undefined) return config.accountId;
  const client = plexClientFor(id, config, ctx, 'account');
  try {
    await client.http.json(accountsProbe, 'GET', '/accounts');
    return PLEX_OWNER_ACCOUNT;
  } catch (err) {
    if (err instanceof ProviderError && err.kind === 'auth') return undefined;
    throw err;
  } finally {
    await client.close();
  }
}

/** Only the owner's token opens the notifications socket, and it reports every account's plays:
 * the owner's instance holds the server's one socket for all its instances; none without it. */
export function plexShareTriggers(server: ServerInstance<PlexProviderConfig>[]): TriggerHolder[] {
  const owner = server.find((s) => s.accountId === PLEX_OWNER_ACCOUNT);
  return owner ? [{ holder: owner.id, serves: server.map((s) => s.id) }] : [];
}
