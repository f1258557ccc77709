// Provider kind → factory. Adding a provider kind means one line here.
import type { ProviderConfig } from '../core/config.ts';
import type { Provider, ProviderContext } from './provider.ts';
import { PlexProvider } from './plex/provider.ts';

export interface ProviderFactoryOptions {
  /** Shorter retry backoff (tests). */
  minBackoffMs?: number;
}

export function createProvider(id: string, config: ProviderConfig, ctx: ProviderContext, opts: ProviderFactoryOptions = {}): Provider {
  switch (config.kind) {
    case 'plex':
      return new PlexProvider(id, config, ctx, opts);
  }
}
