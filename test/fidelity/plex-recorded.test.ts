// Fidelity (a): replay requests recorded from a real Plex Media Server against the emulator,
// loaded with the same library, and compare the responses' shapes with the recorded ones.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { PlexEmulatorDataInput } from '../../emulators/plex/data.ts';
import { startPlexEmulator, type RunningPlexEmulator } from '../../emulators/plex/server.ts';
import { compareShapes, shapeOf, type ShapeProblem } from './shapes.ts';

interface RecordedCase {
  name?: string;
  request?: { method: string; uri: string; query?: Record<string, string | number>; headers: Record<string, string> };
  response: { http_code: number; headers: Record<string, string>; body: unknown };
}

const fixture = JSON.parse(readFileSync(new URL('../../../shared/fixtures/plex/watchstate_plex_data.json', import.meta.url), 'utf8')) as Record<
  string,
  RecordedCase
>;

/** Recorded cases we do not replay, and why. */
const SKIPPED: Record<string, string> = {
  server_info_get_500: 'a server failure; the emulator only fails on purpose, through /__emulator/faults',
  playlists_list_get_200: 'playlists are not emulated (Playhead never reads them)',
  playlist_get_200: 'playlists are not emulated',
  playlist_items_get_200: 'playlists are not emulated',
};

/** Cases recorded without their request; the request is the obvious one for the response. */
const INFERRED_REQUESTS: Record<string, NonNullable<RecordedCase['request']>> = {
  server_info_get_200: { method: 'GET', uri: '/', headers: { Accept: 'application/json', 'X-Plex-Token': '$(fake_plex_token}' } },
};

/** Recorded fields the emulator deliberately does not produce. Each must still occur in a recording. */
const NOT_EMULATED: Record<string, string> = {
  'MediaContainer.Metadata[].primaryExtraKey': 'points at a trailer/extra item; extras are not modelled and a key to a missing item would mislead clients',
};

/** Fields real servers emit only sometimes (the recording itself shows both), so ours may lack them. */
const OPTIONAL_IN_PMS: Record<string, string> = {
  'MediaContainer.Metadata[].Media[].audioProfile': 'codec-dependent: present for the aac movie, absent for the ac3 episode in the recording',
  'MediaContainer.Metadata[].Media[].Part[].audioProfile': 'codec-dependent, as above',
};

const OWNER_TOKEN = 'recorded-owner-token';
const TOKENS: Record<string, string> = { '$(fake_plex_token}': OWNER_TOKEN, '$(fake_invalid_plex_token}': 'not-a-token' };

// ---- building emulator data from the recorded library --------------------------------------

type Row = Record<string, unknown> & { ratingKey: string; type: string };
const TAG_KINDS = ['Genre', 'Director', 'Writer', 'Role', 'Country', 'Collection'] as const;

function containerOf(caseName: string): { librarySectionID: number; Metadata: Row[] } {
  const body = fixture[caseName]?.response.body as { MediaContainer: { librarySectionID: number; Metadata: Row[] } };
  return body.MediaContainer;
}

function pick<T extends object>(row: Row, names: string[]): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const name of names) if (row[name] !== undefined) out[name] = row[name];
  return out as Partial<T>;
}

function itemFromRow(row: Row, sectionId: number) {
  const tags: Record<string, string[]> = {};
  for (const kind of TAG_KINDS) {
    const list = row[kind] as Array<{ tag: string }> | undefined;
    if (list) tags[kind] = list.map((t) => t.tag);
  }
  return {
    ...pick(row, [
      'title',
      'titleSort',
      'originalTitle',
      'year',
      'originallyAvailableAt',
      'summary',
      'tagline',
      'studio',
      'contentRating',
      'rating',
      'audienceRating',
      'parentRatingKey',
      'grandparentRatingKey',
      'index',
      'parentIndex',
      'skipChildren',
    ]),
    ratingKey: row.ratingKey,
    type: row.type as 'movie' | 'show' | 'episode',
    sectionId: String(sectionId),
    title: row.title as string,
    guid: row.guid as string,
    guids: ((row.Guid as Array<{ id: string }> | undefined) ?? []).map((g) => g.id),
    ...(row.duration !== undefined ? { durationMs: row.duration as number } : {}),
    tags,
    addedAt: row.addedAt as number,
    updatedAt: row.updatedAt as number,
  };
}

/** Episodes name their season only through parent* attributes: rebuild the season from them. */
function seasonFromEpisode(row: Row, sectionId: number) {
  return {
    ratingKey: row.parentRatingKey as string,
    type: 'season' as const,
    sectionId: String(sectionId),
    title: row.parentTitle as string,
    index: row.parentIndex as number,
    parentRatingKey: row.grandparentRatingKey as string,
    guid: row.parentGuid as string,
    guids: [],
    addedAt: row.addedAt as number,
    updatedAt: row.updatedAt as number,
  };
}

function recordedLibrary(): PlexEmulatorDataInput {
  const sections = (fixture.sections_get_200!.response.body as { MediaContainer: { Directory: Array<Record<string, unknown>> } }).MediaContainer.Directory.map(
    (d) => ({
      key: d.key as string,
      type: d.type as 'movie' | 'show',
      title: d.title as string,
      agent: d.agent as string,
      scanner: d.scanner as string,
      language: d.language as string,
      uuid: d.uuid as string,
      createdAt: d.createdAt as number,
      updatedAt: d.updatedAt as number,
      scannedAt: d.scannedAt as number,
      contentChangedAt: d.contentChangedAt as number,
      hidden: Boolean(d.hidden),
      locations: d.Location as Array<{ id: number; path: string }>,
    }),
  );
  const items = [];
  const ownerState: Record<string, { viewOffset?: number; viewCount?: number; lastViewedAt?: number }> = {};
  for (const caseName of ['library_movie_get_200', 'library_show_get_200', 'library_episodes_get_200']) {
    const container = containerOf(caseName);
    for (const row of container.Metadata) {
      if (row.type === 'episode') items.push(seasonFromEpisode(row, container.librarySectionID));
      items.push(itemFromRow(row, container.librarySectionID));
      const state = pick<{ viewOffset: number; viewCount: number; lastViewedAt: number }>(row, ['viewOffset', 'viewCount', 'lastViewedAt']);
      if (Object.keys(state).length > 0) ownerState[row.ratingKey] = state;
    }
  }
  const server = (fixture.server_info_get_200!.response.body as { MediaContainer: Record<string, string> }).MediaContainer;
  return {
    machineIdentifier: server.machineIdentifier!,
    friendlyName: server.friendlyName!,
    version: server.version!,
    accounts: [{ id: 1, name: 'owner', token: OWNER_TOKEN, owner: true }],
    sections,
    items,
    userState: { 1: ownerState },
  };
}

// ---- replay --------------------------------------------------------------------------------

function substitute(text: string, id: string): string {
  return TOKENS[text] ?? text.replace('${id}', id);
}

async function replay(emu: RunningPlexEmulator, request: NonNullable<RecordedCase['request']>, id: string) {
  const query = new URLSearchParams(Object.entries(request.query ?? {}).map(([k, v]): [string, string] => [k, String(v)]));
  const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, substitute(v, id)]));
  const url = `${emu.url}${substitute(request.uri, id)}${query.size > 0 ? `?${query}` : ''}`;
  const response = await fetch(url, { method: request.method, headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

function checkHeaders(recorded: Record<string, string>, ours: Headers, totalSize: number | undefined): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(recorded)) {
    const actual = ours.get(name);
    if (actual === null) problems.push(`header ${name} missing`);
    else if (value === '${total}') {
      if (totalSize !== undefined && actual !== String(totalSize)) problems.push(`header ${name}: ${actual}, expected ${totalSize}`);
      if (!/^\d+$/.test(actual)) problems.push(`header ${name}: "${actual}" is not a count`);
    } else if (actual.split(';')[0] !== value) problems.push(`header ${name}: "${actual}", recorded "${value}"`);
  }
  return problems;
}

describe('Plex emulator vs recorded PMS responses (watchstate fixture)', () => {
  let emu: RunningPlexEmulator;
  const hitExceptions = new Set<string>();

  before(async () => {
    emu = await startPlexEmulator({ name: 'recorded', data: recordedLibrary(), quiet: true });
  });
  after(async () => {
    await emu.close();
  });

  it('knows what to do with every recorded case', () => {
    for (const name of Object.keys(fixture)) {
      const handled = fixture[name]!.request !== undefined || name in INFERRED_REQUESTS || name in SKIPPED;
      assert.ok(handled, `recorded case ${name} is neither replayed nor listed as skipped`);
    }
  });

  for (const [name, recorded] of Object.entries(fixture)) {
    if (name in SKIPPED) continue;
    const request = recorded.request ?? INFERRED_REQUESTS[name];
    if (!request) continue;
    // `${id}` in a recorded URI stands for any section: replay it against each.
    const ids = request.uri.includes('${id}') ? ['1', '2'] : [''];
    for (const id of ids) {
      it(`${name}${id ? ` (section ${id})` : ''}: ${request.method} ${request.uri}`, async () => {
        const ours = await replay(emu, request, id);
        assert.equal(ours.status, recorded.response.http_code, `status of ${name}`);
        const body = recorded.response.body;
        let totalSize: number | undefined;
        if (body !== null && typeof body === 'object') {
          const parsed = JSON.parse(ours.text) as { MediaContainer?: { totalSize?: number } };
          totalSize = parsed.MediaContainer?.totalSize;
          const problems = compareShapes(shapeOf(body), shapeOf(parsed)).filter((p: ShapeProblem) => {
            const excused = p.path in NOT_EMULATED || (p.path in OPTIONAL_IN_PMS && p.message === 'missing');
            if (excused) hitExceptions.add(p.path);
            return !excused;
          });
          assert.deepEqual(problems, [], `shape differences in ${name}`);
        } else if (typeof body === 'string') {
          assert.equal(ours.text, body);
        } else {
          assert.equal(ours.text, '', 'a HEAD answer has no body');
        }
        assert.deepEqual(checkHeaders(recorded.response.headers, ours.headers, totalSize), [], `headers of ${name}`);
      });
    }
  }

  it('every NOT_EMULATED exception is still needed', () => {
    for (const path of Object.keys(NOT_EMULATED)) {
      assert.ok(hitExceptions.has(path), `${path} is listed as not emulated but no recorded response needed it`);
    }
  });
});
