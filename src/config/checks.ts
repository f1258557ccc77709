// Cross checks: relations between fields, which the schema cannot see (names, pair ends,
// duplicates, which sections go together).
import { formatPath, type ConfigIssue, type LineOf, type Segment } from './errors.ts';
import { isRecord } from './fields.ts';
import { NAME_PATTERN, NAME_RULE, USER_SEPARATOR } from './names.ts';
import { defaultPairName, PAIRS_WHAT, PROVIDERS_WHAT, SERVERS_WHAT, SYNC_WHAT, USERS_WHAT } from './schema.ts';

export function crossCheck(data: unknown, lineOf: LineOf, owners: ReadonlyMap<string, string>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: Segment[], message: string) => issues.push({ path: formatPath(path), line: lineOf(path), message });
  if (!isRecord(data)) return issues;

  const providers = isRecord(data.providers) ? Object.keys(data.providers) : undefined;
  for (const name of providers ?? []) {
    if (!NAME_PATTERN.test(name)) add(['providers', name], `provider names may use ${NAME_RULE}`);
  }
  const servers = isRecord(data.servers) ? Object.keys(data.servers) : undefined;
  for (const name of servers ?? []) {
    if (!NAME_PATTERN.test(name)) add(['servers', name], `server names may use ${NAME_RULE}`);
    else if (providers?.includes(name))
      add(['servers', name], `${JSON.stringify(name)} is also the name of a provider; give the server or the provider another name`);
  }

  if (Array.isArray(data.pairs)) {
    const known = providers === undefined && servers === undefined ? undefined : [...(providers ?? []), ...owners.keys()];
    checkPairList(data.pairs, 'pairs', 'provider', known, add, (ref) => {
      if (!servers?.includes(ref)) return '';
      const mine = [...owners.keys()].filter((p) => p.startsWith(`${ref}${USER_SEPARATOR}`)).sort();
      return `; ${ref} is a server: its users' providers are ${mine.join(', ') || 'none yet'} (or pair servers under sync:)`;
    });
    data.pairs.forEach((pair: unknown, i: number) => {
      if (!isRecord(pair) || typeof pair.source !== 'string' || typeof pair.target !== 'string') return;
      const from = owners.get(pair.source);
      const to = owners.get(pair.target);
      if (from !== undefined && to !== undefined && from !== to) {
        add(['pairs', i, 'target'], `${pair.source} is ${from}'s and ${pair.target} is ${to}'s: a pair may not carry one user's progress to another user`);
      }
    });
  }
  if (Array.isArray(data.sync)) checkPairList(data.sync, 'sync', 'server', servers, add, () => '');
  return issues;
}

/** Unknown ends, a pair from something to itself, duplicate names: in `pairs:` and in `sync:`. */
function checkPairList(
  list: unknown[],
  key: 'pairs' | 'sync',
  what: 'provider' | 'server',
  known: readonly string[] | undefined,
  add: (path: Segment[], message: string) => void,
  hint: (ref: string) => string,
): void {
  const configured = known === undefined ? '' : [...known].sort().join(', ');
  const seen = new Map<string, number>();
  list.forEach((pair: unknown, i: number) => {
    if (!isRecord(pair)) return;
    const { source, target, name } = pair;
    for (const side of ['source', 'target'] as const) {
      const ref = pair[side];
      if (typeof ref !== 'string' || known === undefined || known.includes(ref)) continue;
      add([key, i, side], `unknown ${what} ${JSON.stringify(ref)} (configured: ${configured || 'none'})${hint(ref)}`);
    }
    if (typeof source === 'string' && source === target) {
      add([key, i, 'target'], `source and target are the same ${what} (${source}); a pair syncs two different ${what}s`);
    }
    const pairName = typeof name === 'string' ? name : typeof source === 'string' && typeof target === 'string' ? defaultPairName(source, target) : undefined;
    if (pairName === undefined) return;
    const first = seen.get(pairName);
    if (first === undefined) {
      seen.set(pairName, i);
      return;
    }
    const how = typeof name === 'string' ? '' : ' (the default name, from source and target)';
    add(
      typeof name === 'string' ? [key, i, 'name'] : [key, i],
      `duplicate pair name ${JSON.stringify(pairName)}${how}, also used by ${key}[${first}]; give each pair a unique name`,
    );
  });
}

/** `providers:`+`pairs:`, or `servers:`+`users:`+`sync:` (or both): whichever is started must be complete. */
export function checkSections(data: unknown, lineOf: LineOf): ConfigIssue[] {
  if (!isRecord(data)) return [];
  const issues: ConfigIssue[] = [];
  const missing = (key: string, message: string) => {
    if (data[key] === undefined) issues.push({ path: key, line: lineOf([key]), message });
  };
  if (data.servers === undefined && data.users === undefined && data.sync === undefined) {
    missing('providers', `is required (${PROVIDERS_WHAT})`);
    missing('pairs', `is required (${PAIRS_WHAT})`);
  } else {
    missing('servers', `is required with users: and sync: (${SERVERS_WHAT})`);
    missing('users', `is required with servers: and sync: (${USERS_WHAT})`);
    missing('sync', `is required with servers: and users: (${SYNC_WHAT})`);
  }
  return issues;
}
