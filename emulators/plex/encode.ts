// One response tree, two encodings. Handlers build PlexNode trees; this file turns them into
// Plex's JSON (child elements grouped into arrays by name: Metadata[], Directory[], Guid[]…)
// or Plex's XML (<Video>/<Directory> elements, every attribute a string, booleans "0"/"1").
import { XMLBuilder } from 'fast-xml-parser';

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
}

type JsonObject = Record<string, unknown>;

function nodeToJson(node: PlexNode): JsonObject {
  const out: JsonObject = {};
  for (const [name, value] of Object.entries(node.attrs)) {
    if (value !== undefined) out[name] = value;
  }
  for (const child of node.children ?? []) {
    const key = child.jsonKey ?? child.tag;
    if (child.single) {
      out[key] = nodeToJson(child);
      continue;
    }
    const list = (out[key] ??= []) as JsonObject[];
    list.push(nodeToJson(child));
  }
  return out;
}

export function encodeJson(container: PlexNode): string {
  return JSON.stringify({ [container.tag]: nodeToJson(container) });
}

const xmlBuilder = new XMLBuilder({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  suppressEmptyNode: true,
  format: false,
});

type OrderedXml = Record<string, unknown>;

function xmlAttr(value: AttrValue): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  return String(value);
}

function nodeToOrderedXml(node: PlexNode): OrderedXml {
  const attrs: Record<string, string> = {};
  for (const [name, value] of Object.entries(node.attrs)) {
    if (value !== undefined) attrs[name] = xmlAttr(value);
  }
  return { [node.tag]: (node.children ?? []).map(nodeToOrderedXml), ':@': attrs };
}

export function encodeXml(container: PlexNode): string {
  const declaration = '<?xml version="1.0" encoding="UTF-8"?>\n';
  return `${declaration}${xmlBuilder.build([nodeToOrderedXml(container)]) as string}\n`;
}
