// A Jellyfin or Emby `providers:` entry in playhead.yaml, and its parsed form. Both kinds share
// one client (the MediaBrowser API) and one config shape.
import { z } from 'zod';
import { connectionConfig, connectionFields, libraryList, strict, tokenSchema, urlSchema, type ConnectionConfig } from '../../config/fields.ts';

export type MediaBrowserKind = 'jellyfin' | 'emby';

export type MediaBrowserProviderConfig = ConnectionConfig & {
  kind: MediaBrowserKind;
  /** http(s) base URL without a trailing slash (for Emby, with or without `/emby`). */
  url: string;
  /** A user's access token, or a server API key (then `user` says whose positions to sync). */
  token: string;
  /** User name or id; required with an API key, checked against the token's user otherwise. */
  user?: string;
  /** Library (view) ids to read; all movie and show libraries when absent. */
  libraries?: string[];
};

export function mediaBrowserLabel(kind: MediaBrowserKind): string {
  return kind === 'jellyfin' ? 'Jellyfin' : 'Emby';
}

const viewId = z.unknown().transform((v, ctx) => {
  if ((typeof v === 'string' && v.trim() !== '') || (typeof v === 'number' && Number.isInteger(v))) return String(v).trim();
  ctx.addIssue({ code: 'custom', message: 'must be a library id (text, e.g. "f137a2dd21bbc1b99aa5c0f6bf02a805")' });
  return z.NEVER;
});

export const mediaBrowserUser = z.string({ error: 'must be a user name or id' }).trim().min(1, { error: 'must not be empty' }).optional();
export const mediaBrowserLibraries = libraryList(viewId, 'must be a list of library ids');

export function mediaBrowserFields<K extends MediaBrowserKind>(kind: K) {
  return {
    kind: z.literal(kind),
    url: urlSchema,
    token: tokenSchema,
    user: mediaBrowserUser,
    libraries: mediaBrowserLibraries,
    ...connectionFields,
  };
}

export function mediaBrowserConfigSchema<K extends MediaBrowserKind>(kind: K) {
  return strict(mediaBrowserFields(kind), `a mapping of ${mediaBrowserLabel(kind)} settings (kind, url, token, user, …)`).transform(
    (p): MediaBrowserProviderConfig => ({
      kind,
      url: p.url,
      token: p.token,
      ...connectionConfig(p),
      ...(p.user !== undefined ? { user: p.user } : {}),
      ...(p.libraries !== undefined ? { libraries: p.libraries } : {}),
    }),
  );
}
