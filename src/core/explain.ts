// One sentence per decision, for people: the CLI table, `explain`, and later the web page all
// say the same thing. The reason code stays the machine-readable part.
import type { TypedDecision } from './pipeline.ts';
import { formatDuration } from './time.ts';

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function ago(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return `${Math.round(ms / 1000)} s`;
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} days`;
}

/** `2026-12-06 21:35`, in UTC. */
const utc = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

export function explainDecision(d: TypedDecision, dryRun = false): string {
  const detail = d.detail ?? {};
  switch (d.reason) {
    case 'write': {
      if (detail.confirmed === true) return 'written and confirmed by re-reading';
      const to = d.source.progressMs !== undefined ? formatDuration(d.source.progressMs) : 'the source position';
      return dryRun ? `would write ${to}` : `write ${to}`;
    }
    case 'capped': {
      const at = num(detail.capAtPercent);
      const wrote = num(detail.writePercent);
      if (detail.confirmed === true) return `held at ${wrote ?? '?'}%, below the target's ${at ?? '?'}% "watched" point; confirmed`;
      return `past the target's ${at ?? '?'}% "watched" point: ${dryRun ? 'would be written' : 'written'} at ${wrote ?? '?'}% so it stays in progress`;
    }
    case 'clear':
      if (detail.confirmed === true) return 'cleared on the source, removed here and confirmed';
      return dryRun ? 'cleared on the source: would be removed here' : 'cleared on the source: removed here';
    case 'finished': {
      const how = detail.mode === 'clear' ? 'its position removed here' : 'marked watched here';
      if (detail.confirmed === true) return `finished on the source: ${how} and confirmed, so it left Continue Watching`;
      const when = typeof detail.finishedAt === 'number' ? ` ${utc(detail.finishedAt)} UTC` : '';
      return `finished on the source${when}: ${dryRun ? 'would be ' : ''}${how}, so it leaves Continue Watching`;
    }
    case 'finished_skip': {
      const ahead = num(detail.aheadMs);
      return `finished on the source, but played here ${ahead !== undefined ? ago(ahead) : 'some time'} later: left in progress`;
    }
    case 'parked': {
      const err = str(detail.lastError);
      return `failed ${num(detail.attempts) ?? 'several'} runs in a row, parked until ${typeof detail.retryAt === 'number' ? utc(detail.retryAt) : 'later'} UTC${err ? `: ${err}` : ''}`;
    }
    case 'conflict_lost':
      return `both sides moved since the last run; ${str(detail.won) ?? 'the other side'} is newer, so ${str(detail.lost) ?? 'this side'}'s position was replaced`;
    case 'failed':
      return str(detail.error) ?? 'the write failed';
    case 'below_minimum': {
      const min = num(detail.thresholdMs);
      return min !== undefined ? `under the ${formatDuration(min)} minimum` : 'no position to sync';
    }
    case 'near_complete': {
      const pct = num(detail.percent);
      const max = num(detail.maxPercent);
      const capped = detail.cappedBy !== undefined ? ', where the target marks it watched' : '';
      return pct !== undefined && max !== undefined ? `${pct.toFixed(1)}% is past ${max}%${capped}` : 'nearly finished';
    }
    case 'target_runtime_unknown': {
      const pct = num(detail.sourcePercent);
      const safe = `under ${num(detail.safeBelowPercent) ?? '?'}%`;
      if (pct === undefined) return `no runtime on either side, so where the position lands on the target is unknown: not written (only positions ${safe} are)`;
      return `the target's runtime is unknown and ${pct.toFixed(1)}% is not ${safe}, safely below its ${num(detail.watchedAtPercent) ?? '?'}% "watched" point: not written`;
    }
    case 'unchanged':
      return typeof detail.clear === 'string' ? 'cleared on the source; the target has no position either' : 'the target already holds this position';
    case 'missing_ids':
      return 'no imdb/tmdb/tvdb id to find it by elsewhere';
    case 'unresolved': {
      const base = str(detail.unresolved) ?? 'not found on the target';
      return typeof detail.retryAt === 'number' && detail.waiting === true
        ? `${base} (tried ${num(detail.attempts) ?? 'several'} times; next try ${new Date(detail.retryAt).toISOString().slice(0, 16).replace('T', ' ')} UTC)`
        : base;
    }
    case 'ambiguous_ids': {
      const items = Array.isArray(detail.items) ? detail.items : [];
      const named = items.map((i) => (i.title !== undefined ? `"${i.title}" (${i.provider} ${i.id})` : `${i.provider} ${i.id}`)).join(', ');
      const where =
        detail.side === 'target'
          ? 'its id names several items on the target'
          : detail.target !== undefined
            ? `different items were found as one target item (${detail.target})`
            : 'different items on the source share its id';
      return `${where}: ${named}; none is written`;
    }
    case 'bad_position': {
      const what = `${str(detail.field) ?? 'position'} ${str(detail.raw) ?? '?'} (${str(detail.why) ?? 'impossible'})`;
      return detail.side === 'target'
        ? `the target holds an impossible position, ${what}: nothing written over it`
        : `the source reported an impossible position, ${what}: not synced`;
    }
    case 'playing_now':
      return 'playing on the target now: a write would jump the player';
    case 'same_origin':
      return typeof detail.twoWay === 'string' ? 'the only change is our own last write: nothing to send back' : 'this position came from the target itself';
    case 'missing_source_time':
      return 'the source has no time for this position, so we cannot tell which side is newer';
    case 'target_newer': {
      const ahead = num(detail.aheadMs);
      return ahead !== undefined ? `the target was played ${ago(ahead)} later` : 'the target is further along and has no time to compare';
    }
    case 'already_watched':
      return 'watched on the target, and replay is off';
    case 'restore': {
      // Undo: `source` is the value the undone run replaced, which undo puts back.
      if (str(detail.blocked) !== undefined) return str(detail.blocked) as string;
      if (detail.confirmed === true) return 'put back and confirmed by re-reading';
      const back =
        detail.clear === true
          ? 'clear the position the run wrote'
          : `put back ${d.source.progressMs !== undefined ? formatDuration(d.source.progressMs) : `${d.source.progressPct ?? '?'}%`}`;
      const watched =
        detail.markWatched === true
          ? ', then mark it watched again'
          : detail.markUnwatched === true
            ? ', un-watching what the finish marked watched first'
            : detail.unwatchFirst === true
              ? ', un-watching it first'
              : '';
      return `${dryRun ? 'would ' : ''}${back}${watched}`;
    }
    case 'changed_since': {
      if (detail.playingNow === true) return 'playing on the target now: left alone';
      const wrote = (detail.wrote ?? {}) as Record<string, unknown>;
      const [wroteMs, wrotePct] = [num(wrote.progressMs), num(wrote.progressPct)];
      const now =
        d.target?.progressMs !== undefined
          ? formatDuration(d.target.progressMs)
          : d.target?.progressPct !== undefined
            ? `${d.target.progressPct}%`
            : d.target?.watched
              ? 'watched'
              : 'no position';
      // A percent-only target (Trakt) is told in percent.
      const shown =
        d.target?.progressPct !== undefined && wrotePct !== undefined ? `${wrotePct}%` : wroteMs !== undefined ? formatDuration(wroteMs) : undefined;
      const what = wroteMs === undefined ? 'what the run wrote' : wroteMs > 0 ? `the ${shown} the run wrote` : 'the cleared position the run left';
      // A write whose outcome was unknown, and that the target does not show: nothing to put back.
      if (detail.unknown === true) return `the run's write was never confirmed and the target holds ${now}, not ${what}: nothing to undo`;
      return `the target now holds ${now}, not ${what}: changed since, so left alone`;
    }
  }
}
