// What every route handler may use: the live data, the library index, the clock, accounts.
import type { PlexAccount, PlexEmulatorData } from './data.ts';
import type { Library } from './library.ts';
import type { PlexRequest } from './reply.ts';

export interface PlexEnv {
  library: Library;
  data(): PlexEmulatorData;
  /** Epoch milliseconds (injectable for tests). */
  now(): number;
  /** Tokens accepted as the owner's in addition to the owner account's own token. */
  extraOwnerTokens: ReadonlySet<string>;
  nextSessionKey(): string;
}

export function nowSeconds(env: PlexEnv): number {
  return Math.floor(env.now() / 1000);
}

export function ownerAccount(data: PlexEmulatorData): PlexAccount {
  const owner = data.accounts.find((a) => a.owner) ?? data.accounts.find((a) => a.id === 1) ?? data.accounts[0];
  if (!owner) throw new Error('Plex emulator data has no accounts');
  return owner;
}

export function isOwner(account: PlexAccount, data: PlexEmulatorData): boolean {
  return account.id === ownerAccount(data).id;
}

/** X-Plex-* values may come as headers or as query parameters (protocols.md §1.1). */
export function plexParam(request: PlexRequest, name: string): string | undefined {
  return request.params.get(name) ?? request.header(name);
}

export function accountForRequest(request: PlexRequest, env: PlexEnv): PlexAccount | undefined {
  const token = plexParam(request, 'X-Plex-Token');
  if (!token) return undefined;
  const data = env.data();
  const account = data.accounts.find((a) => a.token === token);
  if (account) return account;
  return env.extraOwnerTokens.has(token) ? ownerAccount(data) : undefined;
}
