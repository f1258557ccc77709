// The text a scenario prints: the run table, requests by route (and what each counts as),
// decisions, when each route's requests reached the servers, the budget lines and, with Trakt
// as a server, how the writes were spaced.
import { cpus } from 'node:os';
import Table from 'cli-table3';
import type { EmulatorKind } from './children.ts';
import { BUDGET_SLACK, type RunRecord, type WritePacing } from './measure.ts';
import type { PeerRecord } from './scenarios.ts';

export const fmt = (n: number): string => n.toLocaleString('en-US');
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const ms = (n: number | null): string => (n === null ? 'n/a' : `${fmt(Math.round(n))} ms`);

export const KIND_LABEL: Record<EmulatorKind, string> = { plex: 'Plex', jellyfin: 'Jellyfin', emby: 'Emby', trakt: 'Trakt' };

export interface SummaryContext {
  scenario: string;
  servers: { role: string; kind: EmulatorKind }[];
  items: number;
  changed: number;
  /** Items finished on the source (two-way: A) that the target (B) holds a position on. */
  finished: number;
  latencyMs: number;
  synthetic: string;
  seeded: string;
  baselineRssKiB: number;
  load: number[];
  /** --trakt-429: the first Trakt write was answered 429 on purpose. */
  injected429?: boolean;
  /** Two-way: `changed` items on each side (disjoint), `seeded` says which. */
  twoWay?: boolean;
}

function pacingLine(role: string, p: WritePacing): string {
  const verdict = `${p.atMostOnePerSecond ? 'YES' : 'NO'}: writes ${p.atMostOnePerSecond ? 'stayed' : 'did not stay'} at ≤ 1 per second; ${p.any429 ? `YES: ${p.rateLimited} × 429` : 'no 429'}`;
  return `${role}: ${p.attempts} write attempts (${p.accepted} accepted), spacing min ${ms(p.minSpacingMs)} (accepted only: ${ms(p.minSpacingAcceptedMs)}), median ${ms(p.medianSpacingMs)}, max ${ms(p.maxSpacingMs)}; first at ${ms(p.firstMs)}, last at ${ms(p.lastMs)} → ${verdict}.`;
}

export function summary(runs: RunRecord[], ctx: SummaryContext): string {
  const lines: string[] = [];
  const kindOf = new Map(ctx.servers.map((s) => [s.role, s.kind] as const));
  const label = (role: string) => KIND_LABEL[kindOf.get(role) ?? 'plex'];
  const direction = ctx.servers.map((s) => `${KIND_LABEL[s.kind]}${ctx.twoWay ? ` (${s.role})` : ''}`).join(ctx.twoWay ? ' ⇄ ' : ' → ');
  const slack = runs[0]?.budgetSlack ?? BUDGET_SLACK;
  lines.push(`=== ${ctx.scenario} ===`);
  lines.push(
    ctx.twoWay
      ? `Playhead benchmark: two-way ${direction}, ${fmt(ctx.items)} movies+episodes on each (${ctx.synthetic}), ${fmt(ctx.changed)} changed on each side, disjoint (${ctx.seeded}), ${ctx.latencyMs} ms latency per request.`
      : `Playhead benchmark: ${direction}, ${fmt(ctx.items)} movies+episodes (${ctx.synthetic}), ${fmt(ctx.changed)} changed on the source (${ctx.seeded}), ${ctx.latencyMs} ms latency per request.`,
  );
  if (ctx.twoWay) {
    lines.push(
      `Expected: the first run writes ≈ ${fmt(2 * ctx.changed + ctx.finished)} (each side's ${fmt(ctx.changed)} to the other, ${fmt(ctx.finished)} finishes on B), every later run writes 0.`,
    );
  }
  if (ctx.injected429) lines.push('--trakt-429: the first Trakt write of the first run was answered 429 (Retry-After: 1) by an injected fault.');
  lines.push(
    `Node ${process.version}, ${cpus().length} CPUs, load average ${ctx.load.map((l) => l.toFixed(2)).join(' ')} at start (wall times move with machine load). RSS before the first run: ${mib(ctx.baselineRssKiB * 1024)}.`,
  );
  lines.push('');
  const table = new Table({
    head: ['', ...runs.map((r) => r.name)],
    style: { head: [], border: [] },
    colAligns: ['left', ...runs.map(() => 'right' as const)],
  });
  const row = (text: string, f: (r: RunRecord) => string) => table.push([text, ...runs.map(f)]);
  row('status', (r) => (r.ok ? 'ok' : 'FAILED'));
  row('wall time', (r) => `${fmt(Math.round(r.wallMs))} ms`);
  row('bound: (pages + writes / write concurrency) × latency (Trakt: a write per second)', (r) => (r.bound ? `${fmt(Math.round(r.bound.ms))} ms` : 'n/a'));
  row('wall / bound', (r) => (r.bound ? `×${r.bound.ratio.toFixed(2)}` : 'n/a'));
  row('requests (both servers)', (r) => fmt(r.requests.total));
  for (const { role } of ctx.servers) row(`  to ${role} (${label(role)})`, (r) => fmt(r.requests.byServer[role]?.total ?? 0));
  row('  non-2xx answers', (r) => fmt(r.requests.failed));
  const perServer = (text: string, f: (s: RunRecord['requests']['byServer'][string]) => number, total: (r: RunRecord) => number) => {
    row(text, (r) => fmt(total(r)));
    for (const { role } of ctx.servers) row(`  on ${role} (${label(role)})`, (r) => fmt(r.requests.byServer[role] ? f(r.requests.byServer[role]) : 0));
  };
  perServer(
    'pages read',
    (s) => s.pagesRead,
    (r) => r.pagesRead,
  );
  perServer(
    '  of which finish reads (finished items since the cursor)',
    (s) => s.finishReads,
    (r) => r.finishReads,
  );
  perServer(
    'writes',
    (s) => s.writes,
    (r) => r.writes,
  );
  perServer(
    'fixed overhead',
    (s) => s.fixedOverhead,
    (r) => r.fixedOverhead,
  );
  row(`budget (pages + writes + ${slack})`, (r) => fmt(r.budget));
  row('budget met', (r) => (r.budgetMet ? 'yes' : `NO (+${r.requests.total - r.budget})`));
  row('finish decisions (finished / finished_skip)', (r) => `${fmt(r.decisions.finished ?? 0)} / ${fmt(r.decisions.finished_skip ?? 0)}`);
  row('records read (engine)', (r) => fmt(r.engine.read));
  row('resolved on target (engine)', (r) => fmt(r.engine.resolved));
  row('writes (engine)', (r) => fmt(r.engine.writes));
  row('peak RSS (process max)', (r) => mib(r.peakRssKiB * 1024));
  row('heap used after run', (r) => mib(r.heapUsedBytes));
  row('heap used after run + full GC', (r) => mib(r.heapUsedAfterGcBytes));
  lines.push(table.toString());

  const routeTable = new Table({ head: ['server', 'route', ...runs.map((r) => r.name), 'counts as'], style: { head: [], border: [] } });
  for (const { role } of ctx.servers) {
    const routes = [...new Set(runs.flatMap((r) => Object.keys(r.requests.byServer[role]?.byRoute ?? {})))].sort();
    for (const route of routes) {
      const counts = runs.map((r) => r.requests.byServer[role]?.countsAs[route]).find((c) => c !== undefined) ?? 'overhead';
      routeTable.push([`${role} (${label(role)})`, route, ...runs.map((r) => fmt(r.requests.byServer[role]?.byRoute[route] ?? 0)), counts]);
    }
  }
  lines.push('');
  lines.push('Requests by route:');
  lines.push(routeTable.toString());

  const reasons = [...new Set(runs.flatMap((r) => Object.keys(r.decisions)))];
  const decisionTable = new Table({ head: ['decision reason', ...runs.map((r) => r.name)], style: { head: [], border: [] } });
  for (const reason of reasons) decisionTable.push([reason, ...runs.map((r) => fmt(r.decisions[reason] ?? 0))]);
  lines.push('');
  lines.push('Decisions:');
  lines.push(decisionTable.toString());
  const whys = [...new Set(runs.flatMap((r) => Object.keys(r.decisionsByWhy ?? {})))];
  if (whys.length > 0) {
    const whyTable = new Table({ head: ['decision reason · direction or why (two-way)', ...runs.map((r) => r.name)], style: { head: [], border: [] } });
    for (const why of whys) whyTable.push([why, ...runs.map((r) => fmt(r.decisionsByWhy?.[why] ?? 0))]);
    lines.push(whyTable.toString());
  }

  for (const r of runs) {
    const spanTable = new Table({
      head: ['server', 'route', 'requests', 'first at', 'last at'],
      style: { head: [], border: [] },
      colAligns: ['left', 'left', 'right', 'right', 'right'],
    });
    for (const s of r.spans) spanTable.push([s.server, s.route, fmt(s.count), `${fmt(s.firstMs)} ms`, `${fmt(s.lastMs)} ms`]);
    lines.push('');
    lines.push(`When the ${r.name} run's requests reached the servers (ms after runAll started; wall ${fmt(Math.round(r.wallMs))} ms):`);
    lines.push(spanTable.toString());
  }

  lines.push('');
  for (const r of runs) {
    const overhead =
      Object.entries(r.fixedOverheadByRoute)
        .map(([k, v]) => `${v}× ${k}`)
        .join(', ') || 'none';
    lines.push(
      `${r.name}: ${fmt(r.requests.total)} requests vs budget ${fmt(r.pagesRead)} pages${ctx.twoWay ? ' (both sides)' : ''} (${fmt(r.finishReads)} of them finish reads) + ${fmt(r.writes)} writes + ${r.budgetSlack} = ${fmt(r.budget)} → ${r.budgetMet ? 'met' : `NOT met, ${r.requests.total - r.budget} over`}. Fixed overhead ${r.fixedOverhead} (${overhead}).`,
    );
    for (const [role, p] of Object.entries(r.writePacing ?? {})) {
      lines.push(`  Trakt write pacing, ${pacingLine(role, p)}`);
      if (p.timeline.length > 0) {
        const steps = p.timeline.map(
          (t) => `${fmt(t.ms)}${t.gapMs === null ? '' : ` (+${fmt(t.gapMs)})`}${t.status >= 200 && t.status < 300 ? '' : ` → ${t.status}`}`,
        );
        lines.push(`    write attempts at (ms after the run started, +gap since the previous one): ${steps.join(', ')}`);
      }
    }
    if (r.error) lines.push(`  error: ${r.error}`);
    for (const [reason, list] of Object.entries(r.examples)) {
      for (const e of list) lines.push(`  ${reason}: ${e.title} (${e.key})${e.detail ? ` ${JSON.stringify(e.detail)}` : ''}`);
    }
  }
  lines.push("Peak RSS is the process high-water mark (getrusage maxRSS), so a later run's figure cannot be lower than an earlier one's.");
  if (runs.some((r) => r.writePacing)) {
    lines.push(
      "Trakt spacing is from the emulator's log `at`, stamped after each request was handled (its rate limiter reads the clock before the handler); the first lookup builds the emulator's id index, so the first gap reads tens of ms short.",
    );
  }
  return lines.join('\n');
}

/** One line per scenario and run, for the end of `npm run bench`. */
export interface ScenarioDigest {
  scenario: string;
  ok: boolean;
  error?: string;
  mode?: string;
  source?: string;
  target?: string;
  items?: number;
  changed?: number;
  latencyMs?: number;
  peer?: PeerRecord;
  runs: (Pick<
    RunRecord,
    | 'name'
    | 'ok'
    | 'wallMs'
    | 'pagesRead'
    | 'finishReads'
    | 'writes'
    | 'fixedOverhead'
    | 'budgetSlack'
    | 'budget'
    | 'budgetMet'
    | 'peakRssKiB'
    | 'decisions'
    | 'writePacing'
    | 'bound'
  > & { requests: number })[];
}

function directionOf(d: ScenarioDigest): string {
  const label = (k: string | undefined) => (k && k in KIND_LABEL ? KIND_LABEL[k as EmulatorKind] : (k ?? '?'));
  return `${label(d.source)} ${d.mode === 'two-way' ? '⇄' : '→'} ${label(d.target)}`;
}

export function digestTable(digests: ScenarioDigest[]): string {
  const table = new Table({
    head: [
      'scenario',
      'run',
      'items',
      'direction',
      'requests',
      'wall',
      'bound',
      'ratio',
      'peak RSS',
      'pages',
      'finish reads',
      'finished',
      'writes',
      'budget met',
      'status',
      'Trakt writes ≤ 1/s, 429s',
    ],
    style: { head: [], border: [] },
    colAligns: ['left', 'left', 'right', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left', 'left', 'left'],
  });
  for (const d of digests) {
    if (d.runs.length === 0) {
      table.push([d.scenario, '—', '', '', '', '', '', '', '', '', '', '', '', '', 'FAILED', d.error?.split('\n')[0]?.slice(0, 60) ?? '']);
      continue;
    }
    for (const r of d.runs) {
      const pacing = Object.values(r.writePacing ?? {})
        .map((p) => `${p.atMostOnePerSecond ? 'yes' : 'NO'} (min ${ms(p.minSpacingMs)}), ${p.rateLimited}`)
        .join('; ');
      table.push([
        d.scenario,
        r.name,
        d.items === undefined ? '' : fmt(d.items),
        directionOf(d),
        fmt(r.requests),
        `${fmt(Math.round(r.wallMs))} ms`,
        r.bound ? `${fmt(Math.round(r.bound.ms))} ms` : '',
        r.bound ? `×${r.bound.ratio.toFixed(2)}` : '',
        mib(r.peakRssKiB * 1024),
        fmt(r.pagesRead),
        fmt(r.finishReads),
        fmt(r.decisions.finished ?? 0),
        fmt(r.writes),
        r.budgetMet ? 'yes' : `NO (+${r.requests - r.budget})`,
        r.ok ? 'ok' : 'FAILED',
        pacing,
      ]);
    }
  }
  return table.toString();
}

/** Playhead's first run next to the peer job, per scenario that ran one; undefined when none did. */
export function peerTable(digests: ScenarioDigest[]): string | undefined {
  const rows = digests.flatMap((d) => {
    const first = d.runs[0];
    return d.peer && first ? [{ d, first, peer: d.peer }] : [];
  });
  if (rows.length === 0) return undefined;
  const table = new Table({
    head: ['scenario', 'items', 'Playhead requests', 'Playhead wall', 'peer requests', 'peer wall', 'peer written', 'Playhead faster', 'fewer requests'],
    style: { head: [], border: [] },
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  });
  for (const { d, first, peer } of rows) {
    table.push([
      d.scenario,
      d.items === undefined ? '' : fmt(d.items),
      fmt(first.requests),
      `${fmt(Math.round(first.wallMs))} ms`,
      fmt(peer.requests),
      `${fmt(Math.round(peer.wallMs))} ms`,
      `${fmt(peer.written)} of ${fmt(peer.items)}`,
      `×${(peer.wallMs / first.wallMs).toFixed(1)}`,
      `×${(peer.requests / first.requests).toFixed(1)}`,
    ]);
  }
  return table.toString();
}
