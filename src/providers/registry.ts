// Provider kind → factory. Adding a provider kind means one line here.
import type { ProviderConfig } from '../core/config.ts';
import type { Provider, ProviderContext } from './provider.ts';
import { MediaBrowserProvider } from './mediabrowser/provider.ts';
import { PlexProvider } from './plex/provider.ts';
import { TraktProvider } from './trakt/provider.ts';

export interface ProviderFactoryOptions {
  /** Shorter retry backoff (tests). */
  minBackoffMs?: number;
}

export function createProvider(id: string, config: ProviderConfig, ctx: ProviderContext, opts: ProviderFactoryOptions = {}): Provider {
  switch (config.kind) {
    case 'plex':
      return new PlexProvider(id, config, ctx, opts);
    case 'jellyfin':
    case 'emby':
      return new MediaBrowserProvider(id, config, ctx, opts);
    case 'trakt':
      return new TraktProvider(id, config, ctx, opts);
  }
}
