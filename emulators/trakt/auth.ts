// Tokens and device codes. Access tokens live in the state (users[].tokens); device codes are
// transient and live here, in memory, like a real authorization server's pending grants.
// Every generated secret is derived from the emulator name and a counter, so runs repeat.
import { hexDigest } from '../random.ts';
import type { TraktEmulatorData, TraktToken, TraktUser } from './data.ts';
import { isoTime } from './render.ts';

export interface TokenMatch {
  user: TraktUser;
  token: TraktToken;
}

export function findAccessToken(data: TraktEmulatorData, accessToken: string): TokenMatch | undefined {
  for (const user of data.users) {
    const token = user.tokens.find((t) => t.accessToken === accessToken);
    if (token) return { user, token };
  }
  return undefined;
}

export function findRefreshToken(data: TraktEmulatorData, refreshToken: string): TokenMatch | undefined {
  for (const user of data.users) {
    const token = user.tokens.find((t) => t.refreshToken === refreshToken);
    if (token) return { user, token };
  }
  return undefined;
}

/** The body of a 200 from /oauth/token and /oauth/device/token. */
export function tokenResponse(token: TraktToken) {
  const created = Date.parse(token.createdAt);
  return {
    access_token: token.accessToken,
    token_type: 'bearer',
    expires_in: Math.max(0, Math.round((Date.parse(token.expiresAt) - created) / 1000)),
    refresh_token: token.refreshToken,
    scope: token.scope,
    created_at: Math.floor(created / 1000),
  };
}

/** Hands out fresh 64-hex secrets, skipping any already present in the state. */
export class SecretFactory {
  private counter = 0;

  constructor(private readonly name: string) {}

  next(kind: string, taken: (value: string) => boolean): string {
    for (;;) {
      this.counter++;
      const seed = `playhead-trakt-emulator:${this.name}:${kind}:${this.counter}`;
      const value = hexDigest(`${seed}:a`, 32) + hexDigest(`${seed}:b`, 32);
      if (!taken(value)) return value;
    }
  }

  /** 8 characters from an alphabet without look-alikes (no 0/O, 1/I). */
  userCode(taken: (value: string) => boolean): string {
    const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
    for (;;) {
      this.counter++;
      const hex = hexDigest(`playhead-trakt-emulator:${this.name}:user-code:${this.counter}`, 16);
      let code = '';
      for (let i = 0; i < 8; i++) code += alphabet[parseInt(hex.slice(i * 2, i * 2 + 2), 16) % alphabet.length];
      if (!taken(code)) return code;
    }
  }
}

function tokenTaken(data: TraktEmulatorData): (value: string) => boolean {
  return (value) => data.users.some((u) => u.tokens.some((t) => t.accessToken === value || t.refreshToken === value));
}

/** A new grant for the user (a device login): appended to the user's tokens. */
export function issueToken(data: TraktEmulatorData, secrets: SecretFactory, user: TraktUser, now: number): TraktToken {
  const taken = tokenTaken(data);
  const token: TraktToken = {
    accessToken: secrets.next('access', taken),
    refreshToken: secrets.next('refresh', taken),
    createdAt: isoTime(now),
    expiresAt: isoTime(now + data.settings.accessTokenTtlSeconds * 1000),
    scope: 'public',
  };
  user.tokens.push(token);
  return token;
}

/**
 * Refresh-token rotation: the grant gets a new access token and a new refresh token, in place.
 * The old refresh token (single use) and the old access token stop working at once.
 */
export function rotateToken(data: TraktEmulatorData, secrets: SecretFactory, token: TraktToken, now: number): TraktToken {
  const taken = tokenTaken(data);
  token.accessToken = secrets.next('access', taken);
  token.refreshToken = secrets.next('refresh', taken);
  token.createdAt = isoTime(now);
  token.expiresAt = isoTime(now + data.settings.accessTokenTtlSeconds * 1000);
  return token;
}

type DeviceState = 'pending' | 'approved' | 'denied' | 'used';

export interface DeviceGrant {
  deviceCode: string;
  userCode: string;
  clientId: string;
  /** Epoch ms. */
  issuedAt: number;
  expiresAt: number;
  /** Seconds between polls. */
  interval: number;
  lastPolledAt?: number;
  state: DeviceState;
  username?: string;
}

export class DeviceGrants {
  private readonly grants: DeviceGrant[] = [];

  constructor(private readonly secrets: SecretFactory) {}

  create(clientId: string, now: number, expiresIn: number, interval: number): DeviceGrant {
    const grant: DeviceGrant = {
      deviceCode: this.secrets.next('device', (v) => this.grants.some((g) => g.deviceCode === v)),
      userCode: this.secrets.userCode((v) => this.grants.some((g) => g.userCode === v)),
      clientId,
      issuedAt: now,
      expiresAt: now + expiresIn * 1000,
      interval,
      state: 'pending',
    };
    this.grants.push(grant);
    return grant;
  }

  byDeviceCode(code: string): DeviceGrant | undefined {
    return this.grants.find((g) => g.deviceCode === code);
  }

  byUserCode(code: string): DeviceGrant {
    const wanted = code.trim().toUpperCase();
    const grant = this.grants.find((g) => g.userCode === wanted);
    if (!grant) throw new Error(`no device code with user code "${code}"`);
    return grant;
  }

  list(): readonly DeviceGrant[] {
    return this.grants;
  }
}
