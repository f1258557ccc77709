// What playhead.yaml becomes once loaded (camelCase). Each provider's own settings are typed by
// its module (src/providers/<kind>/config.ts); here they are a ProviderConfig keyed by name.
import type { PairConfig } from '../core/pair.ts';
import type { ProviderConfigBase } from '../providers/module.ts';

/** A `providers:` entry as Config holds it: its kind, and the settings its kind's module parsed
 * (whose concrete type the module owns). */
export interface ProviderConfig extends ProviderConfigBase {
  [setting: string]: unknown;
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What `users:` gave one user: their providers (`<server>@<user>`) and pairs (`<pair>@<user>`). */
export interface UserConfig {
  providers: string[];
  pairs: string[];
}

export interface Config {
  /** `providers:` plus the providers `users:` expands to. */
  providers: Record<string, ProviderConfig>;
  /** `pairs:` plus the pairs `sync:` expands to, per user. */
  pairs: PairConfig[];
  state: { path: string };
  logLevel: LogLevel;
  /** `settle_seconds:` for pairs that do not set their own (`playhead serve`). */
  settleSeconds?: number;
  /** Per user, when the file has `users:`. */
  users?: Record<string, UserConfig>;
  /** Things worth a debug-level log line, not errors (e.g. a user with no account on a synced server). */
  notes?: string[];
  /** Fields holding a secret written in the file itself (not `${VAR}`), e.g. `providers.home.token`. */
  literalSecrets?: string[];
  /** Things the user should fix but that do not stop a run (e.g. a readable file holding a token); shown once per load. */
  warnings?: string[];
}

export const DEFAULT_STATE_PATH = './playhead.db';
