// Small pieces every dashboard page shows the same way: times, positions, reason chips.
import type { Child, FC } from 'hono/jsx';
import type { PositionSnapshot } from '../core/model.ts';
import type { PairSchedule } from '../core/pair.ts';
import { byReasonOrder, reasonLabel } from '../core/reasons.ts';
import { formatDuration } from '../core/time.ts';

/** `2026-12-06 21:03 UTC`: one zone for everyone reading the page (serve may run in a container). */
export function utc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export const When: FC<{ at: number | undefined }> = ({ at }) =>
  at === undefined ? <span>never</span> : <time datetime={new Date(at).toISOString()}>{utc(at)}</time>;

export function scheduleText(schedule: PairSchedule | undefined): string {
  if (!schedule) return 'not scheduled';
  if ('cron' in schedule) return `cron ${schedule.cron}`;
  const minutes = schedule.everyMs / 60_000;
  return minutes >= 60 && minutes % 60 === 0 ? `every ${minutes / 60} h` : `every ${minutes} min`;
}

/** A position as people read it: `41:10`, or a percent when that is all the provider knows; watched says so. */
export function positionText(p: PositionSnapshot | undefined): string {
  if (!p) return '—';
  const at = p.progressMs !== undefined ? formatDuration(p.progressMs) : p.progressPct !== undefined ? `${Math.round(p.progressPct)}%` : undefined;
  if (p.watched) return at && (p.progressMs ?? p.progressPct ?? 0) > 0 ? `watched, ${at}` : 'watched';
  return at ?? 'no position';
}

/** How far through the item (0–100), when it can be told. */
export function percentOf(p: PositionSnapshot): number | undefined {
  if (p.progressMs !== undefined && p.durationMs !== undefined && p.durationMs > 0) return Math.min(100, (100 * p.progressMs) / p.durationMs);
  if (p.progressPct !== undefined) return Math.min(100, p.progressPct);
  return p.watched ? 100 : undefined;
}

export const Chip: FC<{ reason: string; count?: number }> = ({ reason, count }) => (
  <span class={`chip reason-${reason}`}>
    {reasonLabel(reason)}
    {count !== undefined ? <b>{` ${count}`}</b> : ''}
  </span>
);

/** A run's counts by reason, in the reasons table's order. */
export const Counts: FC<{ counts: Record<string, number> }> = ({ counts }) => {
  const reasons = Object.keys(counts).sort(byReasonOrder);
  if (reasons.length === 0) return <span class="muted">no items</span>;
  return (
    <span class="chips">
      {reasons.map((r) => (
        <Chip reason={r} count={counts[r] ?? 0} />
      ))}
    </span>
  );
};

/** A line saying what an action did, above the page (role=status, so a screen reader hears it). */
export const Notice: FC<{ text: string | undefined; error?: boolean }> = ({ text, error }) =>
  text ? (
    <p class={error ? 'notice error' : 'notice'} role={error ? 'alert' : 'status'}>
      {text}
    </p>
  ) : (
    ''
  );

export const itemHref = (key: string): string => `/items/${encodeURIComponent(key)}`;

/** A wide table's frame on a narrow screen: it scrolls sideways, and can be focused to scroll by keyboard. */
export const Scroll: FC<{ label: string; children?: Child }> = ({ label, children }) => (
  <section class="scroll" aria-label={label} tabindex={0}>
    {children}
  </section>
);
