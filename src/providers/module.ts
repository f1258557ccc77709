// What a provider kind tells the rest of Playhead about itself. Each folder under
// src/providers/<kind>/ exports one ProviderModule, and registry.ts lists them: the config
// loader, the engine and the CLI learn every kind-specific thing here, and nowhere else.
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Capabilities, Provider, ProviderContext, ProviderState } from './provider.ts';
import type { ItemEvent, ProviderTrigger } from './trigger.ts';

/** What every kind's parsed config has (each module types the rest: src/providers/<kind>/config.ts). */
// A type literal, not an interface, so that it fits Config's open record of settings.
export type ProviderConfigBase = { kind: string };

/** A zod schema for one kind's settings: an object whose `kind` is a literal (so the loader can
 * pick the schema by kind), output in the module's own config type. */
export type KindSchema<Out = unknown> = z.ZodType<Out> & z.core.$ZodTypeDiscriminable;

export interface ProviderFactoryOptions {
  /** Shorter retry backoff (tests). */
  minBackoffMs?: number;
}

/** Where a user's entry under `users.<user>.<server>` is checked. Paths are relative to it. */
interface UserEntryContext {
  user: string;
  server: string;
  /** The `servers:` entry has a token (an API key) that can act for users. */
  serverHasToken: boolean;
  /** Reports a problem at a path below the entry (`[]` is the entry itself). */
  add(path: (string | number)[], message: string): void;
}

/** An account a user entry signs in as: two users on one account would cross their progress. */
interface AccountClaim {
  /** Same key, same account (the loader compares keys across all servers of all kinds). */
  key: string;
  /** The field that names the account (`token`, `user`), where a clash is reported. */
  field: string;
  /** The message when `first` (an earlier user) claimed it already. */
  clash(first: { user: string; server: string; path: string }): string;
}

/** What `servers:` + `users:` + `sync:` need from a kind. */
interface UsersSupport {
  /** A `servers:` entry (validated, not used as such): the settings without whose account it is. */
  serverSchema: KindSchema;
  /** Keys that belong to a user, not to a server: key → message (given the server's name). */
  misplacedServerKeys?: Record<string, (server: string) => string>;
  /** Checks one user's entry before `entrySchema` does; returns what to validate, or undefined
   * when it is unusable (having reported why). */
  checkEntry(value: unknown, ctx: UserEntryContext): Record<string, unknown> | undefined;
  /** The entry's own schema (strict, so typos get hints); none when `checkEntry` says it all. */
  entrySchema?: z.ZodType;
  /** A server's settings plus a user's (valid) entry → one `providers:` entry; default: the
   * entry's keys over the server's. */
  combine?(server: Record<string, unknown>, entry: Record<string, unknown>): Record<string, unknown>;
  /** The account the (valid) entry signs in as. */
  account?(entry: Record<string, unknown>, ctx: { user: string; server: string }): AccountClaim | undefined;
}

/** `playhead emulate <kind>` flags. */
interface EmulatorCliArgs {
  port?: number;
  name?: string;
  data?: string;
  synthetic?: string;
  seed?: string;
  verbose?: boolean;
  /** Extra accepted tokens (Plex: owner tokens; Jellyfin/Emby: API keys). */
  tokens?: string[];
  /** The server version to claim. */
  version?: string;
}

/** How `demo` and tests start the kind's emulator in-process. */
interface EmulatorStartOptions {
  name?: string;
  synthetic?: string;
  seed?: string;
  now?: () => number;
  quiet?: boolean;
}

/** The kind's bundled emulator. Implementations import `emulators/<kind>/…` lazily, so a normal
 * run never loads emulator code. */
export interface EmulatorHook<Running> {
  /** Runs in the foreground until SIGINT/SIGTERM (`playhead emulate <kind>`). */
  runCli(args: EmulatorCliArgs): Promise<void>;
  start(opts: EmulatorStartOptions): Promise<Running>;
}

/** A server written into `playhead init`'s starter file as something to sync to (`--to`). */
export interface InitTargetSpec {
  /** `--to KIND=URL` (true) or plain `--to KIND` (false). */
  takesUrl: boolean;
  /** The n-th (1-based) target of this kind's server name. */
  serverName(n: number): string;
  /** Lines under `servers.<name>:` after `kind:`; `ref(VAR)` writes `"${VAR}"` and records VAR. */
  serverLines(target: { name: string; url?: string }, ref: (variable: string) => string): string[];
  /** The user's line under `users.<user>:` for this server. */
  userLine(target: { name: string }, user: { name: string; accountName: string; owner: boolean }, ref: (variable: string) => string): string;
}

/** `playhead auth <provider>`: an interactive sign-in whose tokens go to the state database. */
interface SignInOptions<C> {
  id: string;
  config: C;
  state: ProviderState;
  log: Logger;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Prints one line for the person signing in. */
  out: (line: string) => void;
}

/** What `playhead init` learns from the server it starts from. */
export interface ServerDiscovery {
  url: string;
  friendlyName: string;
  machineIdentifier: string;
  version: string;
  libraries: { id: string; type: string; title: string }[];
  accounts: ServerAccount[];
}

export interface ServerAccount {
  /** The server's account id (Plex: 1 is the owner). */
  id: number;
  name: string;
  owner: boolean;
}

/** A problem found by `playhead init` (2: usage, refused token; 1: the server could not be read). */
export class InitError extends Error {
  readonly exitCode: 1 | 2;
  constructor(message: string, exitCode: 1 | 2) {
    super(message);
    this.name = 'InitError';
    this.exitCode = exitCode;
  }
}

/**
 * One provider kind. `C` is its parsed config, `Running` its emulator's handle. Functions taking
 * a `C` are declared as methods: the registry holds modules of every kind side by side, and a
 * config only ever reaches the module whose schema produced it (entries are keyed by `kind`).
 */
export interface ProviderModule<C extends ProviderConfigBase = ProviderConfigBase, Running = unknown> {
  kind: string;
  /** For people: `Plex`, `Jellyfin`. */
  label: string;
  /** A `providers:` entry, strict, with did-you-mean hints for unknown keys. */
  configSchema: KindSchema<C>;
  /** Keys under this kind whose values are secrets (blanked from every message). */
  secretKeys?: readonly string[];
  /** `servers:`/`users:` support; a kind without it can only be used under `providers:`. */
  users?: UsersSupport;
  /** What an instance with this config can do (before connecting). */
  capabilities(config: C): Capabilities;
  create(id: string, config: C, ctx: ProviderContext, opts: ProviderFactoryOptions): Provider;
  emulator?: EmulatorHook<Running>;
  /** `playhead init --KIND URL`: reads the server with its owner's token. */
  discover?(url: string, token: string, opts?: { timeoutMs?: number }): Promise<ServerDiscovery>;
  /** `playhead init --to KIND…`. */
  initTarget?: InitTargetSpec;
  /** `playhead auth`; kinds without it sign in with the token in playhead.yaml. */
  signIn?(opts: SignInOptions<C>): Promise<void>;
  /** `playhead serve`: the triggers that run by themselves for this instance (websocket, poll). */
  triggers?(id: string, config: C, ctx: TriggerContext): ProviderTrigger[];
  /** `playhead serve`: the server an instance is on (its normalised URL). Instances of one server
   * (one per user) share its triggers, and its events are routed to them by account. A kind
   * without it is one server per instance. */
  serverKey?(config: C): string;
  /** `playhead serve`: the account this instance acts as, as the server's events name it;
   * undefined when it cannot be known (then no user's event reaches it); a throw is a failure
   * that is asked again later (the server may be down). */
  accountId?(id: string, config: C, ctx: TriggerContext): Promise<string | undefined>;
  /** One spelling of an account id, for comparing the events' with `accountId`'s (default: as is). */
  accountKey?(accountId: string): string;
  /** Which instances of one server open its triggers, and which instances each serves (its
   * events without a user, its catch-ups, its health). Default: each its own. */
  shareTriggers?(server: ServerInstance<C>[]): TriggerHolder[];
  /** `playhead serve`'s webhook endpoint: a posted body → the events in it (none: not ours).
   * May answer a promise (multipart bodies are read with the platform's async FormData); a body
   * that cannot be ours throws a WebhookBodyError (./webhook.ts), which the endpoint answers 400. */
  parseWebhook?(id: string, config: C, body: WebhookBody): ItemEvent[] | Promise<ItemEvent[]>;
}

/** One configured instance on a server, with its account once known. */
export interface ServerInstance<C> {
  id: string;
  config: C;
  accountId: string | undefined;
}

export interface TriggerHolder {
  /** The instance whose config (token) opens the triggers. */
  holder: string;
  serves: string[];
}

export interface TriggerContext {
  log: Logger;
  now: () => number;
  /** The provider's slice of the state database (Trakt's poll reads its sign-in there); a kind
   * whose triggers need it offers none without it. */
  state?: ProviderState;
  /** Between polls, for poll triggers (the pair's schedule when serve knows one). */
  pollIntervalMs?: number;
  /** The first reconnect's backoff (ms), doubling from there; shorter in tests. */
  minBackoffMs?: number;
  /** The installation's id (as runs have it), for a trigger that asks its server who it acts for. */
  installationId?: string;
}

export interface WebhookBody {
  contentType: string;
  raw: Buffer;
}
