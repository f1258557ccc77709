// A Plex `providers:` entry in playhead.yaml, and its parsed form.
import { z } from 'zod';
import { connectionConfig, connectionFields, libraryList, strict, tokenSchema, urlSchema, type ConnectionConfig } from '../../config/fields.ts';

export type PlexProviderConfig = ConnectionConfig & {
  kind: 'plex';
  /** http(s) base URL without a trailing slash. */
  url: string;
  token: string;
  /** Library section ids to read; all libraries when absent. */
  libraries?: string[];
  /** The server's id of this token's account (`account_id`; 1 is the owner), which the
   * notifications socket and webhooks name: how `playhead serve` routes a user's events. */
  accountId?: string;
};

const libraryId = z.unknown().transform((v, ctx) => {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return String(v);
  if (typeof v === 'string' && /^\s*\d+\s*$/.test(v)) return v.trim();
  ctx.addIssue({ code: 'custom', message: 'must be a library section id, a whole number such as 1' });
  return z.NEVER;
});

/** `account_id`: the id `GET /accounts` lists (what `playhead init` writes), never a name. */
export const plexAccountId = z.unknown().transform((v, ctx) => {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return String(v);
  if (typeof v === 'string' && /^\s*\d+\s*$/.test(v)) return v.trim();
  ctx.addIssue({ code: 'custom', message: "must be this token's Plex account id, a whole number such as 1 (playhead init writes it)" });
  return z.NEVER;
});

export const plexLibraries = libraryList(libraryId, 'must be a list of library section ids, e.g. [1, 2]');

export const plexFields = {
  kind: z.literal('plex'),
  url: urlSchema,
  token: tokenSchema,
  libraries: plexLibraries,
  account_id: plexAccountId.optional(),
  ...connectionFields,
};

export const plexConfigSchema = strict(plexFields, 'a mapping of Plex settings (kind, url, token, …)').transform(
  (p): PlexProviderConfig => ({
    kind: 'plex',
    url: p.url,
    token: p.token,
    ...connectionConfig(p),
    ...(p.libraries !== undefined ? { libraries: p.libraries } : {}),
    ...(p.account_id !== undefined ? { accountId: p.account_id } : {}),
  }),
);
