// Human and machine output for the CLI. Machine output (--json) goes to stdout only; logs and
// progress bars go to stderr so `playhead sync --json | jq` always sees clean JSON.
import Table from 'cli-table3';
import type { PositionSnapshot } from '../core/model.ts';
import type { TypedDecision } from '../core/pipeline.ts';
import { formatDuration } from '../core/time.ts';
import { explainDecision } from '../core/explain.ts';
import { byReasonOrder, reasonLabel } from '../core/reasons.ts';
import { msFromPercent, percentFromMs } from '../core/position.ts';
import type { RunResult } from '../engine/run.ts';
import type { PairOutcome } from '../engine/run-all.ts';
import type { UndoResult } from '../engine/undo.ts';
import type { PendingRow, RunRow, StoredDecision } from '../store/store.ts';

export interface JsonRun {
  pair: string;
  runId?: number;
  dryRun: boolean;
  status: string;
  counts: Record<string, number>;
  /** Writes sent again after a reply that went wrong (see engine/apply.ts). */
  resent: number;
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
            resent: o.result.resent,
            decisions: o.result.decisions.map((d) => ({ ...d })),
          }
        : { pair: o.pair, dryRun, status: 'failed', counts: {}, resent: 0, error: o.error.message, decisions: [] },
    ),
  };
}

/** A position for people: time (and percent, when the duration is known); for percent-only
 * providers (Trakt) the percent, with an estimated time when the runtime is known. */
export function position(p: PositionSnapshot | undefined): string {
  if (!p) return '—';
  const parts: string[] = [];
  if (p.progressMs !== undefined) {
    const percent = percentFromMs(p.progressMs, p.durationMs);
    parts.push(`${formatDuration(p.progressMs)}${percent !== undefined ? ` (${percent.toFixed(1)}%)` : ''}`);
  } else if (p.progressPct !== undefined) {
    // Percent-only (Trakt): the time is estimated from the runtime when there is one.
    const estimated = msFromPercent(p.progressPct, p.durationMs);
    parts.push(estimated !== undefined ? `~${formatDuration(estimated)} (${p.progressPct.toFixed(1)}%)` : `${p.progressPct.toFixed(1)}%`);
  } else parts.push('—');
  if (p.watched) parts.push('watched');
  return parts.join(', ');
}

/** Borderless rows: long plans stay readable in a terminal. */
export const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

function decisionLabel(d: TypedDecision): string {
  if (d.action === 'skip') return `skip: ${reasonLabel(d.reason)}`;
  if (d.reason === 'failed') return 'FAILED';
  if (d.reason === 'finished') return d.action === 'mark_watched' ? 'finished: mark watched' : 'finished: clear';
  return d.reason === 'capped' ? `${d.action} (capped)` : d.action;
}

export function decisionsTable(decisions: TypedDecision[], limit: number, dryRun = false): string {
  const sorted = [...decisions].sort((a, b) => byReasonOrder(a.reason, b.reason) || a.title.localeCompare(b.title));
  const table = new Table({
    head: ['Item', 'Decision', 'Source', 'Target', 'Why'],
    chars: COMPACT,
    style: { head: [], border: [] },
    wordWrap: true,
    colWidths: [null, null, null, null, 60] as unknown as number[],
  });
  for (const d of sorted.slice(0, limit)) {
    table.push([d.title, decisionLabel(d), position(d.source), position(d.target), explainDecision(d, dryRun)]);
  }
  const more = sorted.length > limit ? `\n… and ${sorted.length - limit} more (use --all, or --json for everything)` : '';
  return sorted.length === 0 ? '(no resumable items on the source)' : `${table.toString()}${more}`;
}

export function countsLine(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort((a, b) => byReasonOrder(a[0], b[0]));
  return entries.length ? entries.map(([k, v]) => `${k} ${v}`).join(' · ') : 'nothing to do';
}

/** The counts, and the re-sends when there were any. */
function summaryLine(counts: Record<string, number>, resent: number): string {
  return `${countsLine(counts)}${resent > 0 ? ` · re-sent ${resent} (a reply went wrong and a re-read showed the write had not landed)` : ''}`;
}

/**
 * Every write that did not end confirmed, one line each, whatever the table's --limit: these are
 * why the command exits 1. `unknown` ones may have landed; undo checks them before touching them.
 */
function notConfirmedList(decisions: TypedDecision[]): string {
  const lines = decisions
    .filter((d) => d.reason === 'failed')
    .map((d) => `  ${d.detail?.unknown === true ? 'unknown' : 'failed'}: ${d.title}: ${d.detail?.error ?? 'the write failed'}`);
  return lines.length ? `Not confirmed:\n${lines.join('\n')}\n` : '';
}

export function runReport(result: RunResult, limit: number): string {
  const head = `${result.dryRun ? 'Plan' : 'Sync'} ${result.pair} (${result.source} → ${result.target})${result.runId !== undefined ? `, run #${result.runId}` : ''}${result.dryRun ? ' — dry run, nothing written' : ''}`;
  return `${head}\n${decisionsTable(result.decisions, limit, result.dryRun)}\n${summaryLine(result.counts, result.resent)}\n${notConfirmedList(result.decisions)}`;
}

export function statusTable(runs: RunRow[]): string {
  if (runs.length === 0) return 'No runs yet. Try `playhead plan`, then `playhead sync`.';
  const table = new Table({ head: ['Run', 'Pair', 'Started (UTC)', 'Took', 'Status', 'Decisions'], chars: COMPACT, style: { head: [], border: [] } });
  for (const r of runs) {
    const took = r.finishedAt !== undefined ? `${((r.finishedAt - r.startedAt) / 1000).toFixed(1)}s` : '…';
    table.push([
      String(r.id),
      r.pair,
      new Date(r.startedAt).toISOString().replace('T', ' ').slice(0, 19),
      took,
      r.error ? `${r.status}: ${r.error}` : r.status,
      countsLine(r.counts),
    ]);
  }
  return table.toString();
}

/** Items waiting for another try: unresolved ones and parked (repeatedly failing) ones. */
export function pendingTable(rows: PendingRow[], now: number): string {
  if (rows.length === 0) return 'Nothing waiting: no unresolved or failing items.';
  const table = new Table({
    head: ['Pair', 'Item', 'State', 'Tries', 'Next try (UTC)', 'Last error'],
    chars: COMPACT,
    style: { head: [], border: [] },
    wordWrap: true,
    colWidths: [null, null, null, null, null, 50] as unknown as number[],
  });
  for (const r of rows) {
    const state = r.parked ? 'parked' : r.kind;
    const next = r.nextAt <= now ? 'next run' : new Date(r.nextAt).toISOString().replace('T', ' ').slice(0, 16);
    table.push([r.pair, `${r.title}\n${r.key}`, state, String(r.attempts), next, r.lastError ?? '']);
  }
  return table.toString();
}

export function explainTable(rows: StoredDecision[]): string {
  if (rows.length === 0) return 'No decisions recorded for that title or key.';
  const table = new Table({
    head: ['Run', 'Pair', 'When (UTC)', 'Item', 'Decision', 'Source', 'Target', 'Why'],
    chars: COMPACT,
    style: { head: [], border: [] },
    wordWrap: true,
  });
  for (const d of rows) {
    const when = `${new Date(d.at).toISOString().replace('T', ' ').slice(0, 19)}${d.dryRun ? ' (plan)' : ''}`;
    table.push([String(d.runId), d.pair, when, `${d.title}\n${d.key}`, decisionLabel(d), position(d.source), position(d.target), explainDecision(d, d.dryRun)]);
  }
  return table.toString();
}

/** `playhead undo`: what was put back, what was left alone and why, and the journal rows not undone. */
export function undoReport(result: UndoResult): string {
  const undone = result.pair.replace(/^undo:/, '');
  const head = `${result.dryRun ? 'Undo plan' : 'Undo'} of run #${result.of} (${undone})${result.runId !== undefined ? `, run #${result.runId}` : ''}${result.dryRun ? ' — dry run, nothing changed' : ''}`;
  const table = new Table({
    head: ['Item', 'Decision', 'Now on target', 'Restored value', 'Why'],
    chars: COMPACT,
    style: { head: [], border: [] },
    wordWrap: true,
    colWidths: [null, null, null, null, 60] as unknown as number[],
  });
  const sorted = [...result.decisions].sort((a, b) => byReasonOrder(a.reason, b.reason) || a.title.localeCompare(b.title));
  for (const d of sorted) {
    const label = d.reason === 'restore' && d.action !== 'skip' ? (d.action === 'clear' ? 'restore: clear' : 'restore') : decisionLabel(d);
    const back = d.action === 'skip' ? '—' : d.action === 'clear' ? `no position${d.source.watched ? ', watched' : ''}` : position(d.source);
    table.push([d.title, label, position(d.target), back, explainDecision(d, result.dryRun)]);
  }
  const body = result.decisions.length === 0 ? '(no confirmed writes to undo)' : table.toString();
  const skipped = result.skipped.map((s) => `  not undone: ${s.title}: ${s.why}`).join('\n');
  return `${head}\n${body}\n${skipped ? `${skipped}\n` : ''}${summaryLine(result.counts, result.resent)}\n${notConfirmedList(result.decisions)}`;
}

export function undoToJson(result: UndoResult): { undo: Omit<UndoResult, 'startedAt' | 'finishedAt'> } {
  const { startedAt: _s, finishedAt: _f, ...rest } = result;
  return { undo: rest };
}
