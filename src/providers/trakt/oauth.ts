// Trakt sign-in with the OAuth device flow (made for tools without a browser) and token refresh.
// Tokens live in the state database (a 0600 file) and never appear in logs or messages.
import type { ProviderState } from '../provider.ts';
import { ProviderError } from '../provider.ts';
import type { HttpClient } from '../http.ts';
import { deviceCode, tokenResponse, type TokenResponse } from './schema.ts';

export interface TraktTokens {
  accessToken: string;
  refreshToken: string;
  /** Epoch ms. */
  expiresAt: number;
}

const TOKENS_KEY = 'oauth_tokens';
/** Refresh this long before expiry, so a run never starts with a token about to lapse. */
export const REFRESH_MARGIN_MS = 24 * 3600 * 1000;

export function loadTokens(state: ProviderState): TraktTokens | undefined {
  const text = state.get(TOKENS_KEY);
  if (!text) return undefined;
  try {
    return JSON.parse(text) as TraktTokens;
  } catch {
    return undefined;
  }
}

export function saveTokens(state: ProviderState, tokens: TraktTokens): void {
  state.set(TOKENS_KEY, JSON.stringify(tokens));
}

function toTokens(res: TokenResponse, now: number): TraktTokens {
  const created = res.created_at !== undefined ? res.created_at * 1000 : now;
  return { accessToken: res.access_token, refreshToken: res.refresh_token, expiresAt: created + res.expires_in * 1000 };
}

export interface DeviceFlowOptions {
  auth: HttpClient;
  clientId: string;
  clientSecret: string;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Tells the person where to go and which code to type. */
  prompt: (verificationUrl: string, userCode: string, expiresInS: number) => void;
}

/** Runs the device flow to the end: approved → tokens; denied, expired or used → a clear error. */
export async function deviceLogin(opts: DeviceFlowOptions): Promise<TraktTokens> {
  const provider = opts.auth.provider;
  const code = (
    await opts.auth.json(
      deviceCode,
      'POST',
      '/oauth/device/code',
      undefined,
      { 'content-type': 'application/json' },
      JSON.stringify({ client_id: opts.clientId }),
    )
  ).body;
  opts.prompt(code.verification_url, code.user_code, code.expires_in);
  const deadline = opts.now() + code.expires_in * 1000;
  let interval = code.interval * 1000;
  while (opts.now() < deadline) {
    await opts.sleep(interval);
    try {
      const body = JSON.stringify({ code: code.device_code, client_id: opts.clientId, client_secret: opts.clientSecret });
      const res = await opts.auth.json(tokenResponse, 'POST', '/oauth/device/token', undefined, { 'content-type': 'application/json' }, body);
      return toTokens(res.body, opts.now());
    } catch (err) {
      const status = err instanceof ProviderError ? err.status : undefined;
      if (status === 400) continue; // still waiting for the person
      if (status === 429) {
        interval += 1000; // polled too fast: slow down
        continue;
      }
      const why: Record<number, string> = {
        404: 'the device code is not valid',
        409: 'the code was already used',
        410: 'the code expired',
        418: 'access was denied',
      };
      if (status !== undefined && why[status]) throw new ProviderError('auth', provider, `${provider}: Trakt sign-in failed: ${why[status]}`, status);
      throw err;
    }
  }
  throw new ProviderError('auth', provider, `${provider}: Trakt sign-in timed out: the code was not entered in time`);
}

/** Trakt refresh tokens are single-use: the new pair must be saved before anything else. */
export async function refreshTokens(auth: HttpClient, clientId: string, clientSecret: string, tokens: TraktTokens, now: number): Promise<TraktTokens> {
  const body = JSON.stringify({
    refresh_token: tokens.refreshToken,
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uri: 'urn:ietf:wg:oauth:2.0:oob',
    grant_type: 'refresh_token',
  });
  try {
    const res = await auth.json(tokenResponse, 'POST', '/oauth/token', undefined, { 'content-type': 'application/json' }, body);
    return toTokens(res.body, now);
  } catch (err) {
    if (err instanceof ProviderError && (err.status === 400 || err.status === 401)) {
      throw new ProviderError(
        'auth',
        auth.provider,
        `${auth.provider}: the Trakt sign-in has lapsed; run \`playhead auth ${auth.provider}\` again`,
        err.status,
      );
    }
    throw err;
  }
}
