// The Plex emulator's whole state: JSON-serialisable, loaded from a data file or built from the
// synthetic catalogue, replaced through PUT /__emulator/state. The schema is the documentation
// of the format (see README.md); validation errors name the path of the bad field.
import { z } from 'zod';
import { parseWithSchema, readJsonFile } from '../common/data-file.ts';

const epochSeconds = z.number().int().nonnegative();

const accountSchema = z.strictObject({
  id: z.number().int(),
  name: z.string(),
  token: z.string().min(1),
  /** The server owner (admin). Only owner tokens may use /:/progress, /:/prefs, /status/sessions. */
  owner: z.boolean().optional(),
  thumb: z.string().optional(),
});

const sectionSchema = z.strictObject({
  key: z.string(),
  type: z.enum(['movie', 'show']),
  title: z.string(),
  agent: z.string(),
  scanner: z.string(),
  language: z.string(),
  uuid: z.string(),
  createdAt: epochSeconds,
  updatedAt: epochSeconds,
  scannedAt: epochSeconds,
  contentChangedAt: z.number().int().optional(),
  hidden: z.boolean().optional(),
  locations: z.array(z.strictObject({ id: z.number().int(), path: z.string() })),
});

const tagKinds = ['Genre', 'Director', 'Writer', 'Role', 'Country', 'Collection'] as const;
export type PlexTagKind = (typeof tagKinds)[number];
export const PLEX_TAG_KINDS: readonly PlexTagKind[] = tagKinds;

const itemSchema = z.strictObject({
  /** Opaque string id; the emulator sorts numerically when it looks like a number. */
  ratingKey: z.string().min(1),
  type: z.enum(['movie', 'show', 'season', 'episode']),
  sectionId: z.string(),
  title: z.string(),
  /** Only when it differs from what the emulator derives (title without a leading article). */
  titleSort: z.string().optional(),
  originalTitle: z.string().optional(),
  year: z.number().int().optional(),
  originallyAvailableAt: z.string().optional(),
  summary: z.string().optional(),
  tagline: z.string().optional(),
  studio: z.string().optional(),
  contentRating: z.string().optional(),
  rating: z.number().min(0).max(10).optional(),
  audienceRating: z.number().min(0).max(10).optional(),
  /** Primary guid: `plex://movie/<24 hex>` (new agents) or a legacy agent string. */
  guid: z.string(),
  /** External ids rendered as `<Guid id=…/>` children; empty for legacy-agent items. */
  guids: z.array(z.string()),
  durationMs: z.number().int().nonnegative().optional(),
  /** season → show, episode → season. */
  parentRatingKey: z.string().optional(),
  /** episode → show. */
  grandparentRatingKey: z.string().optional(),
  /** Season number for seasons, episode number for episodes (shows carry 1 on real servers). */
  index: z.number().int().optional(),
  /** Season number of an episode. */
  parentIndex: z.number().int().optional(),
  /** Plex shows this on single-season shows set to hide seasons. */
  skipChildren: z.boolean().optional(),
  tags: z.partialRecord(z.enum(tagKinds), z.array(z.string())).optional(),
  addedAt: epochSeconds,
  updatedAt: epochSeconds,
});

const userItemStateSchema = z.strictObject({
  /** May be negative (or, set in memory, NaN): a server bug Playhead must report, not use. */
  viewOffset: z.number().int().optional(),
  viewCount: z.number().int().nonnegative().optional(),
  lastViewedAt: epochSeconds.optional(),
});

const sessionSchema = z.strictObject({
  accountId: z.number().int(),
  ratingKey: z.string(),
  sessionKey: z.string(),
  state: z.enum(['playing', 'paused', 'buffering']),
  viewOffset: z.number().int().nonnegative(),
  durationMs: z.number().int().nonnegative().optional(),
  clientIdentifier: z.string(),
  /** X-Plex-Session-Identifier: lets one client play several items at once. */
  sessionIdentifier: z.string().optional(),
  product: z.string().optional(),
  platform: z.string().optional(),
  platformVersion: z.string().optional(),
  device: z.string().optional(),
  version: z.string().optional(),
  address: z.string().optional(),
  /** Epoch milliseconds. */
  startedAt: z.number().int(),
  updatedAt: z.number().int(),
});

/** One play in the server's history (/status/sessions/history/all), as PMS keeps it per view. */
const historyEntrySchema = z.strictObject({
  /** The row id: `historyKey` is `/status/sessions/history/<id>`. */
  id: z.number().int().positive(),
  ratingKey: z.string(),
  accountId: z.number().int(),
  /** Epoch seconds. */
  viewedAt: epochSeconds,
  /** PMS's numeric id of the playing device (one per X-Plex-Client-Identifier). */
  deviceId: z.number().int().nonnegative(),
  clientIdentifier: z.string().optional(),
});

const plexEmulatorDataSchema = z.strictObject({
  machineIdentifier: z.string().min(1),
  friendlyName: z.string(),
  version: z.string().default('1.43.0.10162-abcdef123'),
  /** LibraryVideoPlayedThreshold: a stopped timeline at or past this percent marks played. */
  playedThresholdPercent: z.number().min(1).max(100).default(90),
  accounts: z.array(accountSchema).min(1),
  sections: z.array(sectionSchema),
  items: z.array(itemSchema),
  /** accountId → ratingKey → that user's state of that item. */
  userState: z.record(z.string(), z.record(z.string(), userItemStateSchema)).default({}),
  sessions: z.array(sessionSchema).default([]),
  /** Play history, oldest first; written by scrobbles and played-threshold stops. */
  history: z.array(historyEntrySchema).default([]),
});

export type PlexEmulatorData = z.output<typeof plexEmulatorDataSchema>;
/** What a data file may contain: like PlexEmulatorData, with the defaulted fields optional. */
export type PlexEmulatorDataInput = z.input<typeof plexEmulatorDataSchema>;
export type PlexAccount = PlexEmulatorData['accounts'][number];
export type PlexSection = PlexEmulatorData['sections'][number];
export type PlexItem = PlexEmulatorData['items'][number];
export type PlexItemType = PlexItem['type'];
export type PlexUserItemState = z.output<typeof userItemStateSchema>;
export type PlexSession = PlexEmulatorData['sessions'][number];
export type PlexPlaybackState = PlexSession['state'];
export type PlexHistoryEntry = PlexEmulatorData['history'][number];

/** Validate and fill defaults; throws one error listing every problem with its path. */
export function normalizeData(raw: unknown, source = 'data'): PlexEmulatorData {
  const data = parseWithSchema(plexEmulatorDataSchema, raw, `Plex emulator ${source}`);
  checkReferences(data, source);
  return data;
}

/** Catch dangling keys early: a typo in a data file should not surface as an odd response. */
function checkReferences(data: PlexEmulatorData, source: string): void {
  const problems: string[] = [];
  const sectionKeys = new Set(data.sections.map((s) => s.key));
  const ratingKeys = new Set<string>();
  for (const [i, item] of data.items.entries()) {
    if (ratingKeys.has(item.ratingKey)) problems.push(`items[${i}].ratingKey "${item.ratingKey}" is used twice`);
    ratingKeys.add(item.ratingKey);
    if (!sectionKeys.has(item.sectionId)) problems.push(`items[${i}].sectionId "${item.sectionId}" is not a section key`);
  }
  for (const [i, item] of data.items.entries()) {
    for (const field of ['parentRatingKey', 'grandparentRatingKey'] as const) {
      const ref = item[field];
      if (ref !== undefined && !ratingKeys.has(ref)) problems.push(`items[${i}].${field} "${ref}" is not a ratingKey`);
    }
  }
  const tokens = new Set<string>();
  for (const [i, account] of data.accounts.entries()) {
    if (tokens.has(account.token)) problems.push(`accounts[${i}].token is used twice`);
    tokens.add(account.token);
  }
  if (problems.length > 0) throw new Error(`invalid Plex emulator ${source}:\n  ${problems.join('\n  ')}`);
}

export async function loadDataFile(path: string): Promise<PlexEmulatorData> {
  return normalizeData(await readJsonFile(path, 'Plex emulator data file'), `data file ${path}`);
}
