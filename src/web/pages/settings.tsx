// Settings (`GET /settings`), read-only: the effective configuration with every secret shown as
// `[redacted]` (src/web/redact.ts), each configured server's name, version and capabilities (the
// README's capability table, for the servers in this file), and the state database's path and size.
import { statSync } from 'node:fs';
import type { Hono } from 'hono';
import type { FC } from 'hono/jsx';
import { stringify } from 'yaml';
import type { Capabilities } from '../../providers/provider.ts';
import { moduleFor } from '../../providers/registry.ts';
import { storedWebhookSecret, webhookUrl } from '../../serve/webhooks.ts';
import { Scroll } from '../format.tsx';
import type { DashboardContext } from '../context.ts';
import { REDACTED, redactConfig, redactText, secretValues } from '../redact.ts';
import { renderPage } from '../render.tsx';
import { type ServerProbe, serverInfoCache, type ServerInfoOptions } from '../server-info.ts';
import { type CsrfOf, When } from './common.tsx';

const yesNo = (v: boolean): string => (v ? 'yes' : 'no');

/** The capability table's columns: heading and value, in the README's order. */
const CAPABILITY_COLUMNS: { heading: string; value: (c: Capabilities) => string }[] = [
  { heading: 'Positions in', value: (c) => (c.units === 'ms' ? 'milliseconds' : 'percent') },
  { heading: 'Clears a position', value: (c) => yesNo(c.clear) },
  { heading: 'Keeps the played time', value: (c) => yesNo(c.setsProgressTime) },
  { heading: 'Knows what is playing', value: (c) => yesNo(c.playingNow) },
  { heading: 'Watched flag', value: (c) => yesNo(c.watchedState) },
  { heading: 'Knows its catalogue', value: (c) => yesNo(c.catalogue) },
  { heading: 'Marks watched at', value: (c) => (c.completionPercent !== undefined ? `${c.completionPercent}%` : '—') },
  { heading: 'Writes at once', value: (c) => String(c.maxConcurrentWrites) },
];

/** Bytes for people (the state file is KBs to hundreds of MBs). */
function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** The database file and its write-ahead log (recent changes live there until a checkpoint). */
function databaseBytes(path: string): number | undefined {
  if (path === ':memory:') return undefined;
  let total: number | undefined;
  for (const file of [path, `${path}-wal`]) {
    try {
      total = (total ?? 0) + statSync(file).size;
    } catch {
      // no such file (yet): nothing to add
    }
  }
  return total;
}

const ServerRow: FC<{ id: string; kind: string; capabilities: Capabilities; probe: ServerProbe | undefined; secrets: ReadonlySet<string> }> = ({
  id,
  kind,
  capabilities,
  probe,
  secrets,
}) => (
  <tr data-provider={id}>
    <th scope="row">{id}</th>
    <td>{moduleFor(kind).label}</td>
    <td class={probe?.ok ? 'reachable' : 'unreachable'}>
      {!probe ? (
        'unreachable: no answer yet'
      ) : probe.ok ? (
        <span>
          {`${probe.info.name} ${probe.info.version}`}
          {capabilities.writeBlockedReason ? ` (${redactText(capabilities.writeBlockedReason, secrets)})` : ''}
        </span>
      ) : (
        <span>{`unreachable: ${redactText(probe.error, secrets)}`}</span>
      )}
      {probe ? (
        <>
          {' '}
          <small>
            (checked <When at={probe.at} />)
          </small>
        </>
      ) : null}
    </td>
    {CAPABILITY_COLUMNS.map((col) => (
      <td>{col.value(capabilities)}</td>
    ))}
  </tr>
);

/** `server` tunes the server-version cache (tests: shorter waits). */
export function registerSettings(app: Hono, ctx: DashboardContext, csrf: CsrfOf, server: ServerInfoOptions = {}): void {
  // One cache per dashboard, so per serve process.
  const servers = serverInfoCache(ctx, server);
  app.get('/settings', async (c) => {
    const probes = await servers.read();
    const shown = redactConfig(ctx.config);
    // Anything a server says is blanked of the file's secrets and the webhook secret too (an
    // error may quote a URL).
    const secrets = secretValues(ctx.config);
    const hookSecret = storedWebhookSecret(ctx.store);
    if (hookSecret) secrets.add(hookSecret);
    const webhookProviders = Object.entries(ctx.config.providers).filter(([, p]) => moduleFor(p.kind).parseWebhook !== undefined);
    const statePath = ctx.config.state.path;
    const bytes = databaseBytes(statePath);
    const counts = ctx.store.counts();
    return renderPage(c, { title: 'Settings', section: 'settings', csrf: csrf(c) }, [
      <section aria-labelledby="servers-heading">
        <h2 id="servers-heading">Servers</h2>
        <Scroll label="Servers">
          <table id="servers">
            <caption>Configured servers: version (asked at most every few minutes) and what Playhead can do with each</caption>
            <thead>
              <tr>
                <th scope="col">Provider</th>
                <th scope="col">Kind</th>
                <th scope="col">Server</th>
                {CAPABILITY_COLUMNS.map((col) => (
                  <th scope="col">{col.heading}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {Object.entries(ctx.config.providers).map(([id, config]) => (
                <ServerRow id={id} kind={config.kind} capabilities={moduleFor(config.kind).capabilities(config)} probe={probes.get(id)} secrets={secrets} />
              ))}
            </tbody>
          </table>
        </Scroll>
      </section>,
      <section aria-labelledby="webhooks-heading">
        <h2 id="webhooks-heading">Webhooks</h2>
        {webhookProviders.length === 0 ? (
          <p>No configured server sends webhooks.</p>
        ) : (
          <>
            <p>
              Where each server posts its webhooks. The secret in the path is their only credential, so it is not shown here: `playhead webhooks` prints the
              full URLs.
            </p>
            <ul id="webhooks">
              {webhookProviders.map(([id]) => (
                <li>
                  <code>{`POST ${webhookUrl('', REDACTED, id)}`}</code>
                </li>
              ))}
            </ul>
          </>
        )}
      </section>,
      <section aria-labelledby="state-heading">
        <h2 id="state-heading">State database</h2>
        <dl id="state">
          <dt>Path</dt>
          <dd>
            <code>{statePath}</code>
          </dd>
          <dt>Size</dt>
          <dd>{bytes !== undefined ? size(bytes) : 'in memory'}</dd>
          <dt>Schema version</dt>
          <dd>{ctx.store.schemaVersion}</dd>
          <dt>Runs</dt>
          <dd>{counts.runs}</dd>
          <dt>Decisions</dt>
          <dd>{counts.decisions}</dd>
        </dl>
      </section>,
      <section aria-labelledby="config-heading">
        <h2 id="config-heading">Configuration</h2>
        <p>The effective configuration (after `users:` and `sync:` are expanded), secrets shown as [redacted].</p>
        <pre id="config" tabindex={0}>
          {stringify(shown)}
        </pre>
      </section>,
    ]);
  });
}
