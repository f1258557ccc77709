// `playhead init`: reads a Plex server with its owner's token (the Plex module's discovery: its
// name, libraries and the accounts that use it) and writes a starter playhead.yaml in the `users:` form, one
// user per account. Tokens are never printed or written: the file holds `${VAR}` placeholders.
// Other users' tokens come from plex.tv, which Playhead does not call; the file says where.
import { chmodSync, writeFileSync } from 'node:fs';
import { envName } from '../config/names.ts';
import { InitError, type InitTargetSpec, type ServerAccount, type ServerDiscovery } from '../providers/module.ts';
import { moduleFor } from '../providers/registry.ts';
import { providerModules } from '../providers/registry.ts';
import { EXIT } from './exit.ts';

export { InitError } from '../providers/module.ts';
export type PlexDiscovery = ServerDiscovery;

/** A server to sync to (`--to KIND=URL`, or `--to trakt`): written into the file, never contacted. */
export interface InitTarget {
  kind: string;
  url?: string;
}

/** Kinds `--to` can name, with how each is written into the file. */
function targetSpecs(): Map<string, InitTargetSpec> {
  return new Map(providerModules().flatMap((m) => (m.initTarget ? [[m.kind, m.initTarget] as const] : [])));
}

function targetSpec(kind: string): InitTargetSpec {
  const spec = targetSpecs().get(kind);
  if (spec === undefined) throw new InitError(`--to: unknown kind ${JSON.stringify(kind)}`, EXIT.usage);
  return spec;
}

/** `jellyfin=http://host:8096`, `plex=http://…`, `emby=…`, or `trakt`. */
export function parseTarget(raw: string): InitTarget {
  const specs = targetSpecs();
  const at = raw.indexOf('=');
  const kindText = (at < 0 ? raw : raw.slice(0, at)).trim().toLowerCase();
  const spec = specs.get(kindText);
  const withUrl = [...specs].filter(([, s]) => s.takesUrl).map(([k]) => k);
  const withoutUrl = [...specs].filter(([, s]) => !s.takesUrl).map(([k]) => k);
  const usage = `--to takes KIND=URL (KIND: ${withUrl.join(', ')})${withoutUrl.length > 0 ? ` or ${withoutUrl.join(' or ')}` : ''}, e.g. --to jellyfin=http://192.168.1.20:8096`;
  if (spec === undefined) throw new InitError(`${usage} (got an unknown kind)`, EXIT.usage);
  const kind = kindText;
  if (!spec.takesUrl) {
    if (at >= 0) throw new InitError(`--to ${kind} takes no URL`, EXIT.usage);
    return { kind };
  }
  if (at < 0) throw new InitError(usage, EXIT.usage);
  const url = raw.slice(at + 1).trim();
  try {
    const parsed = new URL(url);
    if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.search !== '' || parsed.username !== '' || parsed.password !== '')
      throw new Error('bad');
  } catch {
    throw new InitError(`--to ${kind}=URL needs an http:// or https:// URL without credentials or query`, EXIT.usage);
  }
  return { kind, url: url.replace(/\/+$/, '') };
}

/** Reads the Plex server with the owner's token (the Plex module's discovery). */
function discoverPlex(rawUrl: string, token: string, opts: { timeoutMs?: number } = {}): Promise<PlexDiscovery> {
  const plex = moduleFor('plex');
  if (!plex.discover) throw new Error('the Plex module has no discovery');
  return plex.discover(rawUrl, token, opts);
}

// ---------------------------------------------------------------------------------------------
// The starter file

/** A name Playhead accepts (lower-case letters, digits, "-", "_"), from free text. */
export function slug(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '');
}

/** One line of comment text: no line breaks or control characters from server-supplied names. */
function commentText(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: they must not reach the file
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

interface StarterUser {
  /** The name in playhead.yaml. */
  name: string;
  account: ServerAccount;
  /** The variable holding this user's token for the discovered server. */
  tokenVariable: string;
}

export interface StarterConfig {
  yaml: string;
  server: string;
  users: StarterUser[];
  /** Every `${VAR}` the file reads. */
  variables: string[];
}

/** Builds the file. Owner first; the owner's token is `${PLEX_TOKEN}`, the others' `${PLEX_TOKEN_<NAME>}`. */
export function starterConfig(d: PlexDiscovery, targets: InitTarget[] = []): StarterConfig {
  const server = slug(d.friendlyName) || 'plex';
  const taken = new Set<string>();
  const users: StarterUser[] = d.accounts.map((account) => {
    let name = slug(account.name);
    if (name === '' || !/^[a-z0-9]/.test(name)) name = `user-${account.id}`;
    if (taken.has(name)) name = `${name}-${account.id}`;
    taken.add(name);
    return { name, account, tokenVariable: account.owner ? 'PLEX_TOKEN' : `PLEX_TOKEN_${envName(name)}` };
  });

  // Target servers, named by their kind's module: plex-2, plex-3…, jellyfin, emby, trakt (with
  // -2… when repeated).
  const names = new Set([server]);
  const counts = new Map<string, number>();
  const named = targets.map((t) => {
    const n = (counts.get(t.kind) ?? 0) + 1;
    counts.set(t.kind, n);
    const spec = targetSpec(t.kind);
    let name = spec.serverName(n);
    while (names.has(name)) name = `${name}-2`;
    names.add(name);
    return { ...t, name, spec };
  });

  const variables: string[] = [];
  const ref = (variable: string) => {
    if (!variables.includes(variable)) variables.push(variable);
    return `"\${${variable}}"`;
  };
  const lines: string[] = [];
  const others = users.filter((u) => !u.account.owner);
  lines.push(
    `# playhead.yaml, written by \`playhead init\` for the Plex server "${commentText(d.friendlyName)}" at ${d.url}.`,
    '# One user per account that uses the server (its own list, GET /accounts). No token is written',
    '# here: each ${VAR} is read from the environment when Playhead runs.',
    "#   PLEX_TOKEN               the owner's token (the one init used)",
  );
  for (const u of others) lines.push(`#   ${u.tokenVariable.padEnd(24)} ${commentText(u.account.name)}'s own token for this server`);
  if (others.length > 0) {
    lines.push(
      "# Home (managed) and shared users' tokens come from plex.tv, which Playhead does not call:",
      '#   - a Home user: switch to them (POST https://plex.tv/api/v2/home/users/{uuid}/switch, owner token),',
      "#     then take this server's accessToken from https://plex.tv/api/v2/resources with the token you got;",
      `#   - a shared user: the accessToken in https://plex.tv/api/servers/${d.machineIdentifier}/shared_servers (owner token);`,
      '#   - or sign in to Plex Web as that user and read X-Plex-Token (support.plex.tv/articles/204059436).',
      '# Two users must never share a token: their progress would cross (Playhead refuses it).',
    );
  }
  lines.push('# Remove the users you do not want to sync. See README.md, "Several users".', '');

  const libraries = d.libraries.filter((l) => l.type === 'movie' || l.type === 'show');
  lines.push('servers:', `  ${server}:`, '    kind: plex', `    url: ${d.url}`);
  if (libraries.length > 0) {
    lines.push(`    # libraries: [${libraries.map((l) => l.id).join(', ')}]   # default: every movie and show library`);
    for (const l of libraries) lines.push(`    #   ${l.id}: ${commentText(l.title)} (${l.type})`);
  }
  for (const t of named) lines.push(`  ${t.name}:`, `    kind: ${t.kind}`, ...t.spec.serverLines(t, ref));

  lines.push('', 'users:');
  for (const u of users) {
    const who = u.account.owner ? `Plex account ${u.account.id}, the server owner` : `Plex account ${u.account.id}`;
    lines.push(`  ${u.name}:${' '.repeat(Math.max(1, 30 - u.name.length))}# ${commentText(u.account.name)}: ${who}`);
    // The account id routes serve's real-time events to this user (a shared user's token cannot ask for it).
    lines.push(`    ${server}: { token: ${ref(u.tokenVariable)}, account_id: ${u.account.id} }`);
    for (const t of named) lines.push(t.spec.userLine(t, { name: u.name, accountName: u.account.name, owner: u.account.owner }, ref));
  }

  lines.push('');
  if (named.length === 0) {
    lines.push(
      '# Which servers to sync, for every user who has an account on both. Add the other server',
      "# under servers: and each user's account on it under users:, e.g. a Jellyfin server:",
      '#   servers:  upstairs: { kind: jellyfin, url: http://192.168.1.20:8096, token: "${JELLYFIN_API_KEY}" }',
      '#   users:    alice: { upstairs: { user: alice } }',
      `#   sync:     - { source: ${server}, target: upstairs }`,
      '# or run init again with --to jellyfin=URL (or plex=, emby=, trakt).',
      'sync:',
    );
  } else {
    lines.push('# Which servers to sync, for every user who has an account on both (mode: one-way or two-way).', 'sync:');
    for (const t of named) lines.push(`  - { source: ${server}, target: ${t.name}, mode: one-way }`);
  }
  lines.push('', 'state: { path: ./playhead.db }', '');
  return { yaml: lines.join('\n'), server, users, variables };
}

// ---------------------------------------------------------------------------------------------
// The command

export interface InitOptions {
  plex: string;
  token?: string | undefined;
  to?: string[];
  write?: string | undefined;
  force?: boolean | undefined;
  json?: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Runs `playhead init`; returns the exit code (0 ok, 1 server unreadable, 2 usage/refused). */
export async function runInit(opts: InitOptions): Promise<number> {
  try {
    const token = opts.token?.trim();
    if (!token) throw new InitError("init needs the server owner's token: set PLEX_TOKEN (or pass --token)", EXIT.usage);
    const targets = (opts.to ?? []).map(parseTarget);
    const discovery = await discoverPlex(opts.plex, token);
    if (discovery.accounts.length === 0) throw new InitError(`${discovery.url} lists no accounts (GET /accounts)`, EXIT.failure);
    const starter = starterConfig(discovery, targets);
    if (opts.write !== undefined) writeNew(opts.write, starter.yaml, opts.force === true);

    const summary = `Plex server "${commentText(discovery.friendlyName)}": ${starter.users.length} user${starter.users.length === 1 ? '' : 's'} (${starter.users.map((u) => u.name).join(', ')})`;
    const needed = starter.variables.filter((v) => v !== 'PLEX_TOKEN');
    const next = needed.length > 0 ? `Set ${needed.join(', ')} (see the comments in the file), then run \`playhead plan\`.` : 'Then run `playhead plan`.';
    if (opts.json) {
      opts.out(
        `${JSON.stringify(
          {
            server: { name: starter.server, friendlyName: discovery.friendlyName, machineIdentifier: discovery.machineIdentifier, url: discovery.url },
            libraries: discovery.libraries,
            users: starter.users.map((u) => ({
              name: u.name,
              accountId: u.account.id,
              accountName: u.account.name,
              owner: u.account.owner,
              tokenVariable: u.tokenVariable,
            })),
            variables: starter.variables,
            ...(opts.write !== undefined ? { written: opts.write } : { yaml: starter.yaml }),
          },
          null,
          2,
        )}\n`,
      );
    } else if (opts.write !== undefined) {
      opts.out(`Wrote ${opts.write} (mode 600). ${summary}.\n${next}\n`);
    } else {
      opts.out(starter.yaml);
      opts.err(`${summary}. ${next}\n`);
    }
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof InitError)) throw err;
    opts.err(`playhead init: ${err.message}\n`);
    return err.exitCode;
  }
}

/** Writes a private file; an existing one only with `force`. */
function writeNew(file: string, text: string, force: boolean): void {
  try {
    writeFileSync(file, text, { mode: 0o600, flag: force ? 'w' : 'wx' });
    // `mode` applies only when the file is created; an overwritten file is made private too.
    chmodSync(file, 0o600);
  } catch (err) {
    const code = err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
    if (code === 'EEXIST') throw new InitError(`${file} already exists; pass --force to overwrite it`, EXIT.usage);
    throw new InitError(`cannot write ${file} (${code ?? (err instanceof Error ? err.message : 'unknown error')})`, EXIT.failure);
  }
}
