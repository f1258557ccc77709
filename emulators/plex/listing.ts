// Helpers every listing route shares: the MediaContainer node, paging (X-Plex-Container-Start/
// Size in, offset/totalSize and the paging headers out) and row rendering for one account.
import type { PlexAccount, PlexItem } from './data.ts';
import type { PlexNode } from './encode.ts';
import type { PlexEnv } from './env.ts';
import { readPaging, type MediaQuery, type Paging } from './query.ts';
import { renderItem, type RowOptions } from './render.ts';
import { containerReply, type PlexRequest, type Reply } from './reply.ts';

export function container(attrs: PlexNode['attrs'], children: PlexNode[] = []): PlexNode {
  return { tag: 'MediaContainer', attrs, children };
}

export function pagingHeaders(paging: Paging, total: number): Record<string, string> {
  return { 'X-Plex-Container-Start': String(paging.start), 'X-Plex-Container-Total-Size': String(total) };
}

/**
 * A paged Metadata listing: size always; offset/totalSize when the client asked for a page.
 * Only the rows of the page are rendered, so big libraries page cheaply.
 */
export function listReply<T>(
  request: PlexRequest,
  items: readonly T[],
  render: (item: T) => PlexNode,
  attrs: PlexNode['attrs'],
  leading: PlexNode[] = [],
): Reply {
  const paging = readPaging(request.params, (name) => request.header(name));
  const total = leading.length + items.length;
  const start = Math.min(paging.start, total);
  const end = paging.size === undefined ? total : Math.min(total, start + paging.size);
  const at = (i: number) => (start + i < leading.length ? (leading[start + i] as PlexNode) : render(items[start + i - leading.length] as T));
  const pageAttrs = paging.requested ? { totalSize: total, offset: paging.start } : {};
  const node: PlexNode = {
    tag: 'MediaContainer',
    attrs: { size: end - start, ...pageAttrs, ...attrs },
    rows: { jsonKey: 'Metadata', length: end - start, at },
  };
  return containerReply(request, node, pagingHeaders(paging, total));
}

export function rowOptions(request: PlexRequest, account: PlexAccount, withSection: boolean, query?: MediaQuery): RowOptions {
  return { accountId: account.id, includeGuids: query?.includeGuids ?? request.params.get('includeGuids') === '1', withSection };
}

export function renderRows(items: PlexItem[], env: PlexEnv, options: RowOptions): PlexNode[] {
  return items.map(rowRenderer(env, options));
}

export function rowRenderer(env: PlexEnv, options: RowOptions): (item: PlexItem) => PlexNode {
  return (item) => renderItem(item, env.library, options);
}
