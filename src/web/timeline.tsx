// The item page's chart: how far through the item each provider was, over time, as inline SVG
// drawn here on the server (no script, no image). One line per provider, a dot per reading with
// its value in a <title>; the page lists the same readings in words for people who cannot see it.
import type { FC } from 'hono/jsx';
import { utc } from './format.tsx';

export interface TimelinePoint {
  provider: string;
  at: number;
  /** 0–100: how far through the item. */
  percent: number;
  /** What the dot says when hovered or read out (e.g. `41:10`, `watched`). */
  label: string;
}

const WIDTH = 560;
const HEIGHT = 220;
const PAD = { left: 44, right: 12, top: 12, bottom: 34 };

export const Timeline: FC<{ title: string; points: TimelinePoint[] }> = ({ title, points }) => {
  const providers = [...new Set(points.map((p) => p.provider))].sort();
  const times = points.map((p) => p.at);
  const [first, last] = [Math.min(...times), Math.max(...times)];
  // One reading (or all at one time) still gets a visible span around it.
  const span = last - first || 60_000;
  const start = last === first ? first - span / 2 : first;
  // Within an hour, minutes alone would give both ends the same label.
  const tick = (at: number) => (last - first < 3_600_000 ? `${new Date(at).toISOString().slice(11, 19)} UTC` : utc(at));
  const x = (at: number) => PAD.left + ((at - start) / span) * (WIDTH - PAD.left - PAD.right);
  const y = (percent: number) => PAD.top + (1 - percent / 100) * (HEIGHT - PAD.top - PAD.bottom);
  const label =
    points.length === 0
      ? `Position of ${title} over time: nothing recorded yet`
      : `Position of ${title} over time on ${providers.join(', ')}, from ${utc(first)} to ${utc(last)}`;
  return (
    <figure class="timeline">
      <svg role="img" aria-label={label} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="xMidYMid meet">
        {[0, 50, 100].map((pct) => (
          <g class="grid">
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(pct)} y2={y(pct)} />
            <text x={PAD.left - 6} y={y(pct) + 4} text-anchor="end">{`${pct}%`}</text>
          </g>
        ))}
        {points.length === 0 ? (
          <text class="empty" x={WIDTH / 2} y={HEIGHT / 2} text-anchor="middle">
            No positions recorded yet
          </text>
        ) : (
          <>
            <text class="axis" x={PAD.left} y={HEIGHT - 8}>
              {tick(first)}
            </text>
            {last !== first ? (
              <text class="axis" x={WIDTH - PAD.right} y={HEIGHT - 8} text-anchor="end">
                {tick(last)}
              </text>
            ) : (
              ''
            )}
            {providers.map((provider, i) => {
              const mine = points.filter((p) => p.provider === provider).sort((a, b) => a.at - b.at);
              return (
                <g class={`series series-${i % 6}`}>
                  <polyline points={mine.map((p) => `${x(p.at).toFixed(1)},${y(p.percent).toFixed(1)}`).join(' ')} />
                  {mine.map((p) => (
                    <circle cx={x(p.at).toFixed(1)} cy={y(p.percent).toFixed(1)} r="4">
                      <title>{`${provider}: ${p.label} (${utc(p.at)})`}</title>
                    </circle>
                  ))}
                </g>
              );
            })}
          </>
        )}
      </svg>
      <figcaption>
        <ul class="legend">
          {providers.map((provider, i) => (
            <li>
              <span class={`swatch series-${i % 6}`} aria-hidden="true"></span>
              {provider}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
};
