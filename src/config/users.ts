// Several users: `servers:`, `users:`, `sync:`
//
//   servers: connection settings every user shares (a Plex server has no token here);
//   users:   per user, per server, that user's account there (Plex: their token; Jellyfin/Emby:
//            `user` and/or their own `token`; Trakt: nothing, each signs in with `playhead auth`);
//   sync:    server pairs, run once for every user who has an account on both servers.
//
// They expand into ordinary providers named `<server>@<user>` and pairs named `<pair>@<user>`, so
// the engine sees plain providers and pairs. Written names may not contain `@`, so generated
// names never collide with `providers:`/`pairs:` entries; each user's pairs join only that user's
// own providers, and a written pair that joins two users' providers is refused. What an entry
// holds for a kind is that kind's module's business (ProviderModule.users).
import type { z } from 'zod';
import type { PairConfig } from '../core/pair.ts';
import type { ProviderConfigBase, ProviderModule } from '../providers/module.ts';
import { formatPath, toIssues, type ConfigIssue, type LineOf, type Reporter, type Segment } from './errors.ts';
import { closest, isRecord } from './fields.ts';
import { NAME_PATTERN, NAME_RULE, userScopedName } from './names.ts';
import type { ParsedConfig } from './schema.ts';
import type { ProviderConfig, UserConfig } from './types.ts';

type ModuleOf = (kind: unknown) => ProviderModule | undefined;

/** Keys under `servers:` that belong to a user (a Plex token, a Jellyfin `user:`), with where they go. */
export function misplacedKeys(data: unknown, lineOf: LineOf, moduleOf: ModuleOf): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (!isRecord(data) || !isRecord(data.servers)) return issues;
  for (const [name, server] of Object.entries(data.servers)) {
    if (!isRecord(server)) continue;
    const misplaced = moduleOf(server.kind)?.users?.misplacedServerKeys ?? {};
    for (const [key, message] of Object.entries(misplaced)) {
      if (Object.hasOwn(server, key)) issues.push({ path: formatPath(['servers', name, key]), line: lineOf(['servers', name, key]), message: message(name) });
    }
  }
  return issues;
}

export interface UserScan {
  issues: ConfigIssue[];
  /** user → server → that user's (valid) entry, as written. */
  entries: Map<string, Map<string, Record<string, unknown>>>;
  /** Generated provider name (`server@user`) → user, for every entry naming a known server. */
  owners: Map<string, string>;
}

/**
 * Checks each `users.<user>.<server>` entry against its server's kind, and that no two users
 * share an account (a shared Plex token, or the same Jellyfin/Emby user on one server, would
 * carry one user's progress to the other).
 */
export function checkUsers(data: unknown, lineOf: LineOf, reported: ReadonlySet<string>, moduleOf: ModuleOf): UserScan {
  const scan: UserScan = { issues: [], entries: new Map(), owners: new Map() };
  if (!isRecord(data) || !isRecord(data.users)) return scan;
  const seenPaths = new Set(reported);
  const report: Reporter = {
    issue: (issue) => {
      if (seenPaths.has(issue.path)) return;
      seenPaths.add(issue.path);
      scan.issues.push(issue);
    },
    add: (path, message) => report.issue({ path: formatPath(path), line: lineOf(path), message }),
  };
  const add = report.add;
  const servers = isRecord(data.servers) ? data.servers : {};
  const serverNames = Object.keys(servers).sort();
  const accounts = new Map<string, { user: string; server: string; path: Segment[] }>();

  for (const [user, entries] of Object.entries(data.users)) {
    if (!NAME_PATTERN.test(user)) add(['users', user], `user names may use ${NAME_RULE}`);
    if (!isRecord(entries)) continue; // the schema says what it must be
    const valid = new Map<string, Record<string, unknown>>();
    for (const [server, value] of Object.entries(entries)) {
      const path: Segment[] = ['users', user, server];
      const raw = servers[server];
      if (raw === undefined) {
        const guess = closest(server, serverNames);
        add(
          path,
          `unknown server ${JSON.stringify(server)} (configured under servers: ${serverNames.join(', ') || 'none'})${guess ? `; did you mean ${JSON.stringify(guess)}?` : ''}`,
        );
        continue;
      }
      scan.owners.set(userScopedName(server, user), user);
      const support = isRecord(raw) ? moduleOf(raw.kind)?.users : undefined;
      if (support === undefined) continue; // the server's own issue says why
      const before = scan.issues.length;
      const entry = checkUserEntry(support, value, { path, user, server, serverHasToken: isRecord(raw) && raw.token !== undefined }, report, data, lineOf);
      if (entry === undefined || scan.issues.length > before) continue;

      // Two users on one account would cross.
      const claim = support.account?.(entry, { user, server });
      if (claim !== undefined) {
        const first = accounts.get(claim.key);
        if (first !== undefined && first.user !== user) {
          add([...path, claim.field], claim.clash({ user: first.user, server: first.server, path: formatPath(first.path) }));
          continue;
        }
        accounts.set(claim.key, { user, server, path: [...path, claim.field] });
      }
      valid.set(server, entry);
    }
    scan.entries.set(user, valid);
  }
  return scan;
}

/** One user's entry for one server; undefined (with issues) when it is not usable. */
function checkUserEntry(
  support: NonNullable<ProviderModule['users']>,
  value: unknown,
  where: { path: Segment[]; user: string; server: string; serverHasToken: boolean },
  report: Reporter,
  data: unknown,
  lineOf: LineOf,
): Record<string, unknown> | undefined {
  const { path, user, server, serverHasToken } = where;
  const entry = support.checkEntry(value, { user, server, serverHasToken, add: (rel, message) => report.add([...path, ...rel], message) });
  if (entry === undefined || support.entrySchema === undefined) return entry;
  const parsed = support.entrySchema.safeParse(entry);
  if (!parsed.success) {
    for (const iss of parsed.error.issues) {
      for (const issue of toIssues({ ...iss, path: [...path, ...iss.path] }, data, lineOf)) report.issue(issue);
    }
    return undefined;
  }
  return entry;
}

function mergeEntry(server: Record<string, unknown>, entry: Record<string, unknown>): Record<string, unknown> {
  return { ...server, ...entry };
}

interface Expanded {
  providers: Record<string, ProviderConfig>;
  pairs: PairConfig[];
  users?: Record<string, UserConfig>;
  notes: string[];
  issues: ConfigIssue[];
}

/** `users:` × `sync:` → providers and pairs, after everything checked out. */
export function expandUsers(
  c: ParsedConfig,
  entries: ReadonlyMap<string, ReadonlyMap<string, Record<string, unknown>>>,
  servers: Record<string, unknown>,
  lineOf: LineOf,
  providerSchema: z.ZodType<ProviderConfigBase>,
  moduleOf: ModuleOf,
): Expanded {
  const out: Expanded = { providers: { ...c.providers }, pairs: [...(c.pairs ?? [])], notes: [], issues: [] };
  if (c.users === undefined) return out;
  const users: Record<string, UserConfig> = {};
  const sync = c.sync ?? [];
  const written = new Set(out.pairs.flatMap((p) => [p.source, p.target]));
  for (const user of Object.keys(c.users)) {
    const mine: UserConfig = { providers: [], pairs: [] };
    const accounts = entries.get(user) ?? new Map<string, Record<string, unknown>>();
    for (const [server, entry] of accounts) {
      const name = userScopedName(server, user);
      const settings = servers[server];
      const raw: Record<string, unknown> = isRecord(settings) ? settings : {};
      // A server's settings plus the user's account there make one provider entry.
      const combine = moduleOf(raw.kind)?.users?.combine ?? mergeEntry;
      const parsed = providerSchema.safeParse(combine(raw, entry));
      if (!parsed.success) {
        // Not expected: the server and the entry were each checked. Say where, without values.
        const path: Segment[] = ['users', user, server];
        out.issues.push({
          path: formatPath(path),
          line: lineOf(path),
          message: `cannot be combined with servers.${server}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
        });
        continue;
      }
      out.providers[name] = parsed.data;
      mine.providers.push(name);
    }
    sync.forEach((pair, i) => {
      const missing = [pair.source, pair.target].filter((server) => !accounts.has(server));
      if (missing.length > 0) {
        out.notes.push(`${user} has no account on ${missing.join(' or ')}, so sync[${i}] (${pair.source} → ${pair.target}) does not run for ${user}`);
        return;
      }
      const expanded: PairConfig = {
        name: userScopedName(pair.name, user),
        source: userScopedName(pair.source, user),
        target: userScopedName(pair.target, user),
        mode: pair.mode,
        features: { progress: { ...pair.features.progress } },
        ...(pair.schedule ? { schedule: pair.schedule } : {}),
        ...(pair.settleSeconds !== undefined ? { settleSeconds: pair.settleSeconds } : {}),
      };
      out.pairs.push(expanded);
      mine.pairs.push(expanded.name);
    });
    for (const server of accounts.keys()) {
      const used = sync.some((p) => p.source === server || p.target === server) || written.has(userScopedName(server, user));
      if (!used) out.notes.push(`${user}'s account on ${server} is in no sync pair`);
    }
    if (accounts.size === 0) out.notes.push(`${user} has no accounts, so nothing runs for ${user}`);
    users[user] = mine;
  }
  out.users = users;
  if (out.pairs.length === 0) {
    out.issues.push({ path: 'sync', line: lineOf(['sync']), message: 'no user has an account on both servers of any pair here, so there is nothing to sync' });
  }
  return out;
}
