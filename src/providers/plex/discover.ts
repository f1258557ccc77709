// `playhead init`'s discovery: reads a Plex server with its owner's token — its name (`GET /`),
// libraries (`GET /library/sections`) and the accounts that use it (`GET /accounts`: owner,
// managed/Home and shared users; owner only). Messages never contain the token.
import { pino } from 'pino';
import { z } from 'zod';
import { InitError, type ServerAccount, type ServerDiscovery } from '../module.ts';
import { ProviderError } from '../provider.ts';
import { PlexClient } from './client.ts';

const idNumber = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);
const accountsContainer = z.object({
  MediaContainer: z.looseObject({
    Account: z.array(z.looseObject({ id: idNumber, name: z.string().optional() })).optional(),
  }),
});

/** http(s) URL without credentials, query or fragment (a pasted `?X-Plex-Token=` must not be used). */
function checkPlexUrl(raw: string): string {
  const text = raw.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InitError('--plex must be the server URL, e.g. http://192.168.1.10:32400', 2);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InitError('--plex must start with http:// or https://', 2);
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new InitError('--plex must not contain a user name, password, query or fragment (pass the token with PLEX_TOKEN or --token)', 2);
  }
  return text.replace(/\/+$/, '');
}

/** Reads the server with the owner's token. */
export async function discoverPlex(rawUrl: string, token: string, opts: { timeoutMs?: number } = {}): Promise<ServerDiscovery> {
  const url = checkPlexUrl(rawUrl);
  const client = new PlexClient({
    provider: 'plex',
    url,
    token,
    clientId: 'playhead-init',
    timeoutMs: opts.timeoutMs ?? 15_000,
    retries: 1,
    log: pino({ level: 'silent' }),
    minBackoffMs: 100,
  });
  const refused = (err: unknown): boolean => err instanceof ProviderError && err.kind === 'auth';
  let info: Awaited<ReturnType<PlexClient['serverInfo']>>;
  try {
    info = await client.serverInfo();
  } catch (err) {
    if (refused(err)) throw new InitError(`${url} refused the token (GET / answered ${statusOf(err)}): init needs the server owner's X-Plex-Token`, 2);
    throw new InitError(`cannot read the Plex server at ${url}: ${messageOf(err)}`, 1);
  }
  let libraries: ServerDiscovery['libraries'];
  let rows: z.output<typeof accountsContainer>['MediaContainer']['Account'];
  try {
    libraries = await client.sections();
    rows = (await client.http.json(accountsContainer, 'GET', '/accounts')).body.MediaContainer.Account;
  } catch (err) {
    if (refused(err)) {
      throw new InitError(
        `only the server owner can list the accounts that use ${JSON.stringify(info.friendlyName)} (GET /accounts answered ${statusOf(err)}): ` +
          "this token belongs to a managed or shared user. Run init with the owner's token (PLEX_TOKEN or --token)",
        2,
      );
    }
    throw new InitError(`cannot read the Plex server at ${url}: ${messageOf(err)}`, 1);
  }
  const accounts: ServerAccount[] = [];
  for (const row of rows ?? []) {
    const name = row.name?.trim() ?? '';
    // PMS lists a nameless id 0 row: the server's local account, not a person.
    if (row.id === 0 || name === '') continue;
    accounts.push({ id: row.id, name, owner: row.id === 1 || (info.owner !== undefined && name === info.owner) });
  }
  accounts.sort((a, b) => Number(b.owner) - Number(a.owner) || a.id - b.id);
  return { url, friendlyName: info.friendlyName, machineIdentifier: info.machineIdentifier, version: info.version, libraries, accounts };
}

function statusOf(err: unknown): string {
  return err instanceof ProviderError && err.status !== undefined ? String(err.status) : 'an error';
}

function messageOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // HttpClient prefixes its messages with the provider name (here "plex: ").
  return message.replace(/^plex: /, '');
}
