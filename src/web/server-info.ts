// What the Settings page shows of each configured server: its name and version from the
// provider's own `connect()` (the check every run starts with). Asked at most every few minutes per
// serve process; a page never waits for a server longer than a short timeout: a server still
// being asked, or that failed, is shown as unreachable with why.
import type { ServerInfo } from '../providers/provider.ts';
import { createProvider } from '../providers/registry.ts';
import { installationIdOf } from '../engine/run-all.ts';
import { dryRunState } from '../store/dry-run.ts';
import type { DashboardContext } from './context.ts';

/** One server's last answer. */
export type ServerProbe = { provider: string; at: number } & ({ ok: true; info: ServerInfo } | { ok: false; error: string });

export interface ServerInfoOptions {
  /** A probe older than this is asked again (in the background when there is one to show). */
  maxAgeMs?: number;
  /** The longest a page waits for a server that has never answered. */
  waitMs?: number;
  /** The longest one probe may take before it counts as failed. */
  probeTimeoutMs?: number;
}

export interface ServerInfoCache {
  /** Every configured provider's latest probe; a provider not answered yet is absent. */
  read(): Promise<Map<string, ServerProbe>>;
}

/** Resolves after `ms` without keeping the process alive. */
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

export function serverInfoCache(ctx: DashboardContext, opts: ServerInfoOptions = {}): ServerInfoCache {
  const maxAgeMs = opts.maxAgeMs ?? 5 * 60_000;
  const waitMs = opts.waitMs ?? 1_500;
  const probeTimeoutMs = opts.probeTimeoutMs ?? 15_000;
  const probes = new Map<string, ServerProbe>();
  const inFlight = new Map<string, Promise<void>>();

  // A dry-run provider over a dry-run view of its state: asking a server's version must change
  // nothing (no token refresh, no cached facts written).
  const probe = async (id: string): Promise<ServerProbe> => {
    const config = ctx.config.providers[id];
    if (!config) return { provider: id, at: ctx.now(), ok: false, error: 'not configured' };
    try {
      const provider = createProvider(id, config, {
        state: dryRunState(ctx.store.providerState(id)),
        installationId: installationIdOf(ctx.store, true),
        log: ctx.log,
        now: ctx.now,
        dryRun: true,
      });
      try {
        const info = await Promise.race([
          provider.connect(),
          delay(probeTimeoutMs).then(() => {
            throw new Error(`no answer within ${probeTimeoutMs / 1000} s`);
          }),
        ]);
        return { provider: id, at: ctx.now(), ok: true, info };
      } finally {
        await provider.close().catch(() => {});
      }
    } catch (err) {
      return { provider: id, at: ctx.now(), ok: false, error: err instanceof Error ? err.message : String(err) };
    }
  };

  const refresh = (id: string): Promise<void> => {
    let running = inFlight.get(id);
    if (!running) {
      running = probe(id).then((p) => {
        probes.set(id, p);
        inFlight.delete(id);
      });
      inFlight.set(id, running);
    }
    return running;
  };

  return {
    async read() {
      const waits: Promise<void>[] = [];
      for (const id of Object.keys(ctx.config.providers)) {
        const known = probes.get(id);
        if (known && ctx.now() - known.at < maxAgeMs) continue;
        const running = refresh(id);
        // A stale answer is shown while the new one comes; only a server never answered is waited for.
        if (!known) waits.push(running);
      }
      if (waits.length > 0) await Promise.race([Promise.all(waits), delay(waitMs)]);
      return new Map(probes);
    },
  };
}
