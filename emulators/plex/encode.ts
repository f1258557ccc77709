// One response tree, two encodings. Handlers build PlexNode trees; this file turns them into
// Plex's JSON (child elements grouped into arrays by name: Metadata[], Directory[], Guid[]…)
// or Plex's XML (<Video>/<Directory> elements, every attribute a string, booleans "0"/"1").
type AttrValue = string | number | boolean;

export interface PlexNode {
  /** XML element name: MediaContainer, Video, Directory, Media, Part, Guid, User… */
  tag: string;
  /** JSON property holding this child; defaults to `tag` (Video and Directory items use "Metadata"). */
  jsonKey?: string;
  /** Rendered as a JSON object instead of an array element (User, Player, Session). */
  single?: boolean;
  /** Undefined attributes are left out entirely, as Plex omits unset fields. */
  attrs: Record<string, AttrValue | undefined>;
  children?: PlexNode[];
  /**
   * Rows rendered one at a time while encoding, after `children` (a page of a listing). Each row
   * is encoded and dropped before the next is built, so a 1 000-row page never holds its whole
   * node tree: at 100 000 items that tree made the young-generation GC copy it twice per page.
   */
  rows?: LazyRows;
}

export interface LazyRows {
  /** JSON property of every row (listing rows are all `Metadata`). */
  jsonKey: string;
  length: number;
  at(index: number): PlexNode;
}

// A listing page is encoded row by row (see `rows`): each row becomes a plain object, then one
// native JSON.stringify, and is dropped. Few, short-lived allocations keep the young-generation
// GC cheap with a 100 000-item library on the heap.

type JsonObject = Record<string, unknown>;

function nodeToObject(node: PlexNode): JsonObject {
  const out: JsonObject = {};
  for (const name in node.attrs) {
    const value = node.attrs[name];
    if (value !== undefined) out[name] = value;
  }
  for (const child of node.children ?? []) {
    const key = child.jsonKey ?? child.tag;
    if (child.single) {
      out[key] = nodeToObject(child);
      continue;
    }
    const list = (out[key] ??= []) as JsonObject[];
    list.push(nodeToObject(child));
  }
  return out;
}

export function encodeJson(container: PlexNode): string {
  const head = nodeToObject(container);
  const rows = container.rows;
  if (!rows || rows.length === 0) return JSON.stringify({ [container.tag]: head });
  if (rows.jsonKey in head) {
    // Rows and children share a key: not used by any route, but stay correct.
    (head[rows.jsonKey] as JsonObject[]).push(...Array.from({ length: rows.length }, (_, i) => nodeToObject(rows.at(i))));
    return JSON.stringify({ [container.tag]: head });
  }
  const parts: string[] = [];
  for (let i = 0; i < rows.length; i++) parts.push(JSON.stringify(nodeToObject(rows.at(i))));
  const opening = JSON.stringify({ [container.tag]: head }).slice(0, -2);
  const separator = Object.keys(head).length > 0 ? ',' : '';
  return `${opening}${separator}${JSON.stringify(rows.jsonKey)}:[${parts.join(',')}]}}`;
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

function xmlAttr(value: AttrValue): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  const text = String(value);
  return /[&<>"']/.test(text) ? text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c) : text;
}

function nodeToXml(node: PlexNode): string {
  let out = `<${node.tag}`;
  for (const name in node.attrs) {
    const value = node.attrs[name];
    if (value !== undefined) out += ` ${name}="${xmlAttr(value)}"`;
  }
  const children = node.children ?? [];
  const rowCount = node.rows?.length ?? 0;
  if (children.length === 0 && rowCount === 0) return `${out}/>`;
  const parts = [`${out}>`];
  for (const child of children) parts.push(nodeToXml(child));
  for (let i = 0; i < rowCount; i++) parts.push(nodeToXml((node.rows as LazyRows).at(i)));
  parts.push(`</${node.tag}>`);
  return parts.join('');
}

export function encodeXml(container: PlexNode): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${nodeToXml(container)}\n`;
}
