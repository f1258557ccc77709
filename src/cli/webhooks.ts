// `playhead webhooks`: the URL each server should post its webhooks to, with how to set it up
// there. The URL holds the installation's webhook secret (made on first use, kept in the state
// database), so it is printed only when asked, and only to stdout.
import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { Config } from '../config/types.ts';
import { findProviderModule } from '../providers/registry.ts';
import { webhookSecret, webhookUrl } from '../serve/webhooks.ts';
import type { Store } from '../store/store.ts';
import { EXIT } from './exit.ts';

/** How to point each kind's server at the URL (facts: shared/protocols.md; README "Webhooks"). */
const SETUP: Record<string, string> = {
  plex: "Plex (needs Plex Pass on the server owner's account): Plex Web → Settings → Webhooks → Add Webhook, paste the URL, Save. Plex then posts media.pause/stop/scrobble for every account on the server.",
  jellyfin:
    'Jellyfin: install the Webhook plugin (Dashboard → Plugins → Catalog → Webhook), restart, then Dashboard → Plugins → Webhook → Add Generic Destination: Webhook Url = the URL, tick "Send All Properties (ignores template)", Notification Types: Playback Start, Playback Progress, Playback Stop, User Data Saved; Item Types: Movies, Episodes; add the users; Save.',
  emby: 'Emby (needs Emby Premiere): older versions Settings → Webhooks → Add Webhook; 4.9+ your user menu → Preferences → Notifications → Add Notification → Webhooks. URL = the URL, Request content type application/json (4.9+), events Playback, Mark Played, Mark Unplayed; Save.',
};

interface WebhooksOptions {
  publicUrl?: string;
  host: string;
  port: string;
}

function webhooksReport(
  config: Config,
  store: Store,
  o: WebhooksOptions,
): { base: string; loopback: boolean; webhooks: { provider: string; kind: string; url: string; setup: string }[] } {
  const base = (o.publicUrl ?? `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`).replace(/\/+$/, '');
  const host = new URL(base).hostname;
  const loopback = host === 'localhost' || host === '[::1]' || /^127\./.test(host);
  // Providers pairs read from: a one-way pair's source, both sides of a two-way pair.
  const read = new Set<string>();
  for (const pair of config.pairs) {
    read.add(pair.source);
    if (pair.mode === 'two-way') read.add(pair.target);
  }
  const secret = webhookSecret(store);
  const webhooks = [...read].flatMap((id) => {
    const kind = config.providers[id]?.kind;
    if (!kind || !findProviderModule(kind)?.parseWebhook) return [];
    return [{ provider: id, kind, url: webhookUrl(base, secret, id), setup: SETUP[kind] ?? '' }];
  });
  return { base, loopback, webhooks };
}

/** Adds the command; `open` loads the config and state as the other commands do, and says if --json. */
export function registerWebhooksCommand(program: Command, open: () => { config: Config; store: Store; log: Logger; json: boolean }): void {
  program
    .command('webhooks')
    .description("print each source server's webhook URL for `playhead serve`, and how to set it up there")
    .option('--public-url <url>', 'how the servers reach serve, e.g. http://192.168.1.5:8787 (default: http://<host>:<port>)')
    .option('--host <host>', "serve's --host", '127.0.0.1')
    .option('--port <n>', "serve's --port", '8787')
    .action((o: WebhooksOptions) => {
      if (o.publicUrl !== undefined && !/^https?:\/\/[^/]+/.test(o.publicUrl)) {
        process.stderr.write(`playhead: --public-url must be an http(s) URL (got ${o.publicUrl})\n`);
        process.exitCode = EXIT.usage;
        return;
      }
      const { config, store, json } = open();
      try {
        const report = webhooksReport(config, store, o);
        if (json) {
          process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
          return;
        }
        const lines: string[] = [];
        if (report.webhooks.length === 0) lines.push('No pair reads from a Plex, Jellyfin or Emby server: no webhook to set up.');
        else lines.push('Webhook URLs for `playhead serve` (the secret in them is their only credential: keep them private):', '');
        for (const w of report.webhooks) lines.push(`${w.provider} (${w.kind}): ${w.url}`, `  ${w.setup}`, '');
        if (report.webhooks.length > 0 && report.loopback) {
          lines.push(`Note: ${report.base} is only reachable from this machine; give --public-url with the address your servers reach serve at.`);
        }
        process.stdout.write(`${lines.join('\n').trimEnd()}\n`);
      } finally {
        store.close();
      }
    });
}
