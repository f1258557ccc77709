// A Trakt `providers:` entry in playhead.yaml, and its parsed form.
import { z } from 'zod';
import { numberIn, strict, timeoutSchema, tokenSchema, urlSchema } from '../../config/fields.ts';

export type TraktProviderConfig = {
  kind: 'trakt';
  /** Your Trakt app's client id and secret (trakt.tv/oauth/applications). */
  clientId: string;
  clientSecret: string;
  /** API base, default https://api.trakt.tv. */
  url: string;
  /** OAuth base for the device flow and refresh, default https://api.trakt.tv. */
  authUrl: string;
  timeoutMs: number;
  retries: number;
  /** Writes per second Trakt allows a user (1). */
  writesPerSecond: number;
  /** Where a stop would mark the item watched (80 by default). */
  completionPercent?: number;
};

export const traktFields = {
  kind: z.literal('trakt'),
  client_id: tokenSchema,
  client_secret: tokenSchema,
  url: urlSchema.default('https://api.trakt.tv'),
  auth_url: urlSchema.default('https://api.trakt.tv'),
  timeout_seconds: timeoutSchema,
  retries: numberIn(0, 10, true).default(3),
  writes_per_second: numberIn(0.1, 1, false).default(1),
  completion_percent: numberIn(1, 100, false).optional(),
};

export const TRAKT_WHAT = 'a mapping of Trakt settings (kind, client_id, client_secret, …)';

export const traktConfigSchema = strict(traktFields, TRAKT_WHAT).transform(
  (p): TraktProviderConfig => ({
    kind: 'trakt',
    clientId: p.client_id,
    clientSecret: p.client_secret,
    url: p.url,
    authUrl: p.auth_url,
    timeoutMs: Math.round(p.timeout_seconds * 1000),
    retries: p.retries,
    writesPerSecond: p.writes_per_second,
    ...(p.completion_percent !== undefined ? { completionPercent: p.completion_percent } : {}),
  }),
);
