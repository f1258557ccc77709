// Human and machine output for the CLI. Machine output (--json) goes to stdout only; logs and
// progress bars go to stderr so `playhead sync --json | jq` always sees clean JSON.
import Table from 'cli-table3';
import type { Decision, PositionSnapshot } from '../core/model.ts';
import { formatDuration } from '../core/time.ts';
import { explainDecision } from '../core/explain.ts';
import type { RunResult } from '../engine/run-pair.ts';
import type { PairOutcome } from '../engine/run-all.ts';
import type { RunRow, StoredDecision } from '../store/store.ts';

export interface JsonRun {
  pair: string;
  runId?: number;
  dryRun: boolean;
  status: string;
  counts: Record<string, number>;
  error?: string;
  decisions: {
    key: string;
    title: string;
    type: string;
    action: string;
    reason: string;
    source: PositionSnapshot;
    target?: PositionSnapshot;
    detail?: Record<string, unknown>;
  }[];
}

export function runsToJson(outcomes: PairOutcome[], dryRun: boolean): { runs: JsonRun[] } {
  return {
    runs: outcomes.map((o) =>
      o.ok
        ? {
            pair: o.result.pair,
            ...(o.result.runId !== undefined ? { runId: o.result.runId } : {}),
            dryRun: o.result.dryRun,
            status: o.result.status,
            counts: o.result.counts,
            decisions: o.result.decisions.map((d) => ({ ...d })),
          }
        : { pair: o.pair, dryRun, status: 'failed', counts: {}, error: o.error.message, decisions: [] },
    ),
  };
}

/** Order in which reasons are listed: what happened first, then why things were left alone. */
const REASON_ORDER = ['failed', 'write', 'unresolved', 'missing_ids', 'playing_now', 'target_newer', 'already_watched', 'missing_source_time', 'same_origin', 'near_complete', 'below_minimum', 'unchanged'];
const rank = (reason: string): number => {
  const i = REASON_ORDER.indexOf(reason);
  return i === -1 ? REASON_ORDER.length : i;
};

export function position(p: PositionSnapshot | undefined): string {
  if (!p) return '—';
  const parts: string[] = [];
  if (p.progressMs !== undefined) {
    const pct = p.durationMs ? ` (${((p.progressMs / p.durationMs) * 100).toFixed(1)}%)` : '';
    parts.push(`${formatDuration(p.progressMs)}${pct}`);
  } else parts.push('—');
  if (p.watched) parts.push('watched');
  return parts.join(', ');
}

/** Borderless rows: long plans stay readable in a terminal. */
export const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

export function decisionLabel(d: Decision): string {
  return d.action === 'skip' ? `skip: ${d.reason}` : d.reason === 'failed' ? 'FAILED' : d.action;
}

export function decisionsTable(decisions: Decision[], limit: number, dryRun = false): string {
  const sorted = [...decisions].sort((a, b) => rank(a.reason) - rank(b.reason) || a.title.localeCompare(b.title));
  const table = new Table({ head: ['Item', 'Decision', 'Source', 'Target', 'Why'], chars: COMPACT, style: { head: [], border: [] }, wordWrap: true, colWidths: [null, null, null, null, 60] as unknown as number[] });
  for (const d of sorted.slice(0, limit)) {
    table.push([d.title, decisionLabel(d), position(d.source), position(d.target), explainDecision(d, dryRun)]);
  }
  const more = sorted.length > limit ? `\n… and ${sorted.length - limit} more (use --all, or --json for everything)` : '';
  return sorted.length === 0 ? '(no resumable items on the source)' : `${table.toString()}${more}`;
}

export function countsLine(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort((a, b) => rank(a[0]) - rank(b[0]));
  return entries.length ? entries.map(([k, v]) => `${k} ${v}`).join(' · ') : 'nothing to do';
}

export function runReport(result: RunResult, limit: number): string {
  const head = `${result.dryRun ? 'Plan' : 'Sync'} ${result.pair} (${result.source} → ${result.target})${result.runId !== undefined ? `, run #${result.runId}` : ''}${result.dryRun ? ' — dry run, nothing written' : ''}`;
  return `${head}\n${decisionsTable(result.decisions, limit, result.dryRun)}\n${countsLine(result.counts)}\n`;
}

export function statusTable(runs: RunRow[]): string {
  if (runs.length === 0) return 'No runs yet. Try `playhead plan`, then `playhead sync`.';
  const table = new Table({ head: ['Run', 'Pair', 'Started (UTC)', 'Took', 'Status', 'Decisions'], chars: COMPACT, style: { head: [], border: [] } });
  for (const r of runs) {
    const took = r.finishedAt !== undefined ? `${((r.finishedAt - r.startedAt) / 1000).toFixed(1)}s` : '…';
    table.push([String(r.id), r.pair, new Date(r.startedAt).toISOString().replace('T', ' ').slice(0, 19), took, r.error ? `${r.status}: ${r.error}` : r.status, countsLine(r.counts)]);
  }
  return table.toString();
}

export function explainTable(rows: StoredDecision[]): string {
  if (rows.length === 0) return 'No decisions recorded for that title or key.';
  const table = new Table({ head: ['Run', 'Pair', 'When (UTC)', 'Item', 'Decision', 'Source', 'Target', 'Why'], chars: COMPACT, style: { head: [], border: [] }, wordWrap: true });
  for (const d of rows) {
    const when = `${new Date(d.at).toISOString().replace('T', ' ').slice(0, 19)}${d.dryRun ? ' (plan)' : ''}`;
    table.push([String(d.runId), d.pair, when, `${d.title}\n${d.key}`, decisionLabel(d), position(d.source), position(d.target), explainDecision(d, d.dryRun)]);
  }
  return table.toString();
}
