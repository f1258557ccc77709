// What every route handler may use: the live data, the library index, the clock, accounts.
import type { PlexAccount, PlexEmulatorData, PlexItem, PlexPlaybackState } from './data.ts';
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
  /** Where the writers report what PMS would announce (websocket frames, webhooks). */
  events: PlexEvents;
}

/** One `/:/timeline` report, after the emulator applied it. */
export interface PlexPlaybackEvent {
  account: PlexAccount;
  item: PlexItem;
  sessionKey: string;
  clientIdentifier: string;
  state: PlexPlaybackState | 'stopped';
  viewOffset: number;
  /** The session's state before this report; undefined when the report opened the session. */
  previous: PlexPlaybackState | undefined;
  /** A stop that crossed the played threshold (the item was marked played). */
  scrobbled: boolean;
  /** X-Plex-Device-Name or X-Plex-Product, what PMS shows as the player's title. */
  playerTitle: string | undefined;
}

export interface PlexEvents {
  playback(event: PlexPlaybackEvent): void;
  /** `/:/scrobble`, `/:/unscrobble` or a threshold stop changed these leaves' played state. */
  played(account: PlexAccount, leaves: PlexItem[], played: boolean): void;
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
