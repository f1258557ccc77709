// Fidelity (b): every emulator route that the official PMS OpenAPI 3.1 spec (1.2.0) describes
// is called as a real client would, and the JSON body is validated against the operation's 200
// response schema with Ajv (draft 2020-12, strict mode). Where the spec is known to be wrong,
// the correction is listed below with its reason and the test proves it is still needed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import type { PlexItem } from '../../emulators/plex/data.ts';
import { startPlexEmulator, type RunningPlexEmulator } from '../../emulators/plex/server.ts';

type Json = Record<string, unknown>;

const spec = JSON.parse(readFileSync(new URL('../../../shared/fixtures/openapi/plex-pms-1.2.0.json', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Json; responses: Json; parameters: Json };
};

interface SpecCorrection {
  /** JSON pointer into the spec. */
  pointer: string;
  schema: Json;
  reason: string;
  /** Where in a response body the uncorrected spec rejects what real servers send. */
  failsWithoutAt: RegExp;
}

const SPEC_CORRECTIONS: SpecCorrection[] = [
  {
    pointer: '/components/schemas/metadata/properties/Guid/items',
    schema: { type: 'object', properties: { id: { type: 'string' } } },
    reason:
      'Guid[] reuses the generic `tag` schema whose `id` is an integer; real servers send the external id as a string ("imdb://tt…"), as the recorded fixture and protocols.md §1.2 show',
    failsWithoutAt: /\/Guid\/\d+\/id$/,
  },
  {
    pointer: '/components/schemas/librarySection/properties/hidden',
    schema: { anyOf: [{ type: 'boolean' }, { type: 'integer' }] },
    reason: 'the spec says boolean, but the recorded PMS /library/sections response carries `"hidden": 0`; the emulator follows the recording',
    failsWithoutAt: /\/Directory\/\d+\/hidden$/,
  },
  {
    pointer: '/components/schemas/media/properties/optimizedForStreaming',
    schema: { anyOf: [{ type: 'boolean' }, { type: 'integer' }] },
    reason:
      'the spec says boolean, but recorded PMS rows carry `Media.optimizedForStreaming: 0` (only Part uses a boolean); the emulator follows the recording',
    failsWithoutAt: /\/Media\/\d+\/optimizedForStreaming$/,
  },
];

/** Routes the emulator serves that are not operations of spec 1.2.0 (so nothing to validate). */
const NOT_IN_SPEC: Array<{ method: string; path: string; why: string }> = [
  { method: 'GET', path: '/library/sections', why: 'python-plexapi and CrossWatch call it; S1 documents only /library/sections/all' },
  { method: 'GET', path: '/library/metadata/1/children', why: 'older community spec (S2old); still used by clients' },
  { method: 'GET', path: '/hubs/continueWatching/items', why: 'python-plexapi continueWatching()' },
  { method: 'GET', path: '/:/progress', why: 'documented only in S2old; python-plexapi updateProgress' },
  { method: 'GET', path: '/:/timeline', why: 'S1 lists POST; python-plexapi uses GET' },
  { method: 'GET', path: '/:/scrobble', why: 'S1 lists PUT and says GET works too; python-plexapi uses GET' },
  { method: 'HEAD', path: '/library/sections/1/all', why: 'watchstate counts items with HEAD (recorded fixture)' },
  { method: 'GET', path: '/library', why: 'python-plexapi library root (PlexServer.library)' },
  { method: 'GET', path: '/library/onDeck', why: 'python-plexapi Library.onDeck()' },
  { method: 'GET', path: '/library/recentlyAdded', why: 'python-plexapi Library.recentlyAdded()' },
  { method: 'GET', path: '/library/sections/1/onDeck', why: 'python-plexapi LibrarySection.onDeck()' },
  { method: 'GET', path: '/library/sections/1/recentlyAdded', why: 'PMS serves it next to /library/recentlyAdded' },
  { method: 'GET', path: '/hubs/sections/1/continueWatching/items', why: 'the key of the movie.inprogress hub (spec example)' },
  { method: 'GET', path: '/system/agents', why: 'python-plexapi agents(), read by getGuid() and matches()' },
  { method: 'GET', path: '/library/metadata/1/matches', why: 'python-plexapi matches()/getGuid(); the spec lists only PUT (fix match)' },
];

/**
 * Listings outside the spec whose body is a plain Metadata container: validated against the
 * response schema of the spec's own Metadata listing, `GET /library/sections/{sectionId}/all`.
 */
const BORROWED_SHAPE: Array<{ name: string; path: string }> = [
  { name: 'on deck', path: '/library/onDeck' },
  { name: 'recently added', path: '/library/recentlyAdded?X-Plex-Container-Start=0&X-Plex-Container-Size=5' },
  { name: 'on deck of a section', path: '/library/sections/2/onDeck' },
  { name: 'recently added of a section', path: '/library/sections/1/recentlyAdded' },
];

const COMPONENTS_ID = 'https://plex.invalid/components.json';

/** Deep copy with `#/components/schemas/X` refs pointed at the separately registered components. */
function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      key === '$ref' && typeof inner === 'string' ? inner.replace('#/components/schemas/', `${COMPONENTS_ID}#/$defs/`) : rewriteRefs(inner),
    ]),
  );
}

function resolveLocalRef<T>(value: T): T {
  const ref = (value as { $ref?: string }).$ref;
  if (!ref) return value;
  let node: unknown = spec;
  for (const part of ref.replace(/^#\//, '').split('/')) node = (node as Json)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  return node as T;
}

function withCorrections(corrections: SpecCorrection[]) {
  const copy = structuredClone(spec);
  for (const correction of corrections) {
    const parts = correction.pointer.slice(1).split('/');
    const last = parts.pop()!;
    let node = copy as unknown as Json;
    for (const part of parts) node = node[part] as Json;
    assert.ok(last in node, `correction target ${correction.pointer} does not exist in the spec`);
    node[last] = correction.schema;
  }
  return copy;
}

/** Ajv in strict mode; the only non-JSON-Schema keyword in these schemas is OpenAPI's `example`. */
function makeCompiler(document: typeof spec): (schema: unknown) => ValidateFunction {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  formats.default(ajv);
  ajv.addKeyword({ keyword: 'example', schemaType: ['string', 'number', 'boolean', 'object', 'array', 'null'] });
  ajv.addSchema({ $id: COMPONENTS_ID, $defs: rewriteRefs(document.components.schemas) as Json });
  const compiled = new Map<unknown, ValidateFunction>();
  return (schema) => {
    let validate = compiled.get(schema);
    if (!validate) compiled.set(schema, (validate = ajv.compile(rewriteRefs(schema) as Json)));
    return validate;
  };
}

interface Operation {
  template: string;
  method: string;
  operation: Json;
}

/** The spec operation a concrete request hits; literal path segments win over {params}. */
function findOperation(method: string, path: string): Operation | undefined {
  const templates = Object.keys(spec.paths).sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0));
  for (const template of templates) {
    const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`);
    if (!pattern.test(path)) continue;
    const operation = spec.paths[template]![method.toLowerCase()];
    return operation ? { template, method, operation } : undefined;
  }
  return undefined;
}

function missingRequiredParams(operation: Json, query: URLSearchParams, headers: Record<string, string>): string[] {
  const params = ((operation.parameters as Json[] | undefined) ?? []).map((p) => resolveLocalRef(p));
  const headerNames = new Set(Object.keys(headers).map((h) => h.toLowerCase()));
  return params
    .filter((p) => p.required === true && (p.in === 'query' || p.in === 'header'))
    .filter((p) => (p.in === 'query' ? !query.has(p.name as string) : !headerNames.has((p.name as string).toLowerCase())))
    .map((p) => `${p.in} ${p.name}`);
}

function okJsonSchema(operation: Json): unknown {
  const response = resolveLocalRef((operation.responses as Json)['200'] as Json);
  const content = response.content as Record<string, { schema?: unknown }> | undefined;
  return content?.['application/json']?.schema;
}

function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} (${e.schemaPath})`).join('\n');
}

/** The `key` of the spec's example hub with this identifier (the query PMS itself uses). */
function findHub(node: unknown, identifier: string): string | undefined {
  if (Array.isArray(node)) {
    for (const child of node) {
      const found = findHub(child, identifier);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (node === null || typeof node !== 'object') return undefined;
  const record = node as Json;
  if (record.hubIdentifier === identifier && typeof record.key === 'string') return record.key;
  return findHub(Object.values(record), identifier);
}

describe('Plex emulator vs the official PMS OpenAPI 3.1 spec', () => {
  let emu: RunningPlexEmulator;
  const compile = makeCompiler(withCorrections(SPEC_CORRECTIONS));
  const compileUncorrected = makeCompiler(spec);
  const uncorrectedFailures: string[] = [];
  const ids: Record<string, string> = {};

  const pick = (type: PlexItem['type']) => emu.state.items.find((i) => i.type === type && i.guids.length > 0)!;

  before(async () => {
    emu = await startPlexEmulator({ name: 'openapi', synthetic: 'movies=6,shows=2,seasons=2,episodes=3', seed: 'spec', quiet: true });
    const movie = pick('movie');
    const episode = pick('episode');
    Object.assign(ids, { movie: movie.ratingKey, episode: episode.ratingKey, show: pick('show').ratingKey, movieGuid: movie.guid });
    // Give the owner progress, a watched item and a live session, so optional fields appear.
    emu.state.userState['1'] = {
      [movie.ratingKey]: { viewOffset: 600_000, lastViewedAt: 1_763_000_000 },
      [episode.ratingKey]: { viewCount: 2, lastViewedAt: 1_763_100_000 },
    };
    const timeline = `/:/timeline?ratingKey=${movie.ratingKey}&key=/library/metadata/${movie.ratingKey}&state=playing&time=700000&duration=${movie.durationMs}`;
    const started = await fetch(emu.url + timeline, {
      method: 'POST',
      headers: { 'X-Plex-Token': 'alice-token-openapi', 'X-Plex-Client-Identifier': 'spec-client' },
    });
    assert.equal(started.status, 200);
    // Play history rows (an episode: its row carries the grandparent fields) and an On Deck episode.
    const played = await fetch(`${emu.url}/:/scrobble?key=${episode.ratingKey}&identifier=com.plexapp.plugins.library`, {
      headers: { 'X-Plex-Token': emu.ownerToken, 'X-Plex-Client-Identifier': 'spec-client' },
    });
    assert.equal(played.status, 200);
  });
  after(async () => {
    await emu.close();
  });

  // Paths are functions: the ratingKeys are known only once the emulator runs.
  const cases: Array<{ name: string; method: string; path: () => string; headers?: Record<string, string> }> = [
    { name: 'identity', method: 'GET', path: () => '/identity' },
    { name: 'server info', method: 'GET', path: () => '/' },
    { name: 'sections', method: 'GET', path: () => '/library/sections/all' },
    {
      name: 'movies, paged, with Guid[]',
      method: 'GET',
      path: () => '/library/sections/1/all?type=1&includeGuids=1&X-Plex-Container-Start=0&X-Plex-Container-Size=4',
    },
    { name: 'shows with Guid[]', method: 'GET', path: () => '/library/sections/2/all?type=2&includeGuids=1' },
    { name: 'seasons', method: 'GET', path: () => '/library/sections/2/all?type=3' },
    { name: 'watched episodes', method: 'GET', path: () => '/library/sections/2/all?type=4&includeGuids=1&viewCount>=1' },
    { name: 'in-progress movies', method: 'GET', path: () => '/library/sections/1/all?type=1&viewOffset%3E%3E=0&includeGuids=1' },
    { name: 'guid lookup', method: 'GET', path: () => `/library/all?type=1&guid=${encodeURIComponent(ids.movieGuid!)}` },
    {
      name: 'metadata of a movie, an episode and a show',
      method: 'GET',
      path: () => `/library/metadata/${ids.movie},${ids.episode},${ids.show}?includeGuids=1`,
    },
    { name: 'all episodes of a show', method: 'GET', path: () => `/library/metadata/${ids.show}/allLeaves` },
    { name: 'continue watching hub', method: 'GET', path: () => '/hubs/continueWatching?count=5' },
    {
      name: 'movies with the includeMeta=1 filter catalogue',
      method: 'GET',
      path: () => '/library/sections/1/all?includeMeta=1&includeAdvanced=1&X-Plex-Container-Start=0&X-Plex-Container-Size=2',
    },
    {
      name: 'collections of a section',
      method: 'GET',
      path: () => '/library/sections/1/collections?includeMeta=1&X-Plex-Container-Start=0&X-Plex-Container-Size=0',
    },
    { name: 'hub search', method: 'GET', path: () => `/hubs/search?query=${encodeURIComponent(pick('movie').title.slice(0, 4))}&limit=5` },
    { name: 'hubs of the movie section', method: 'GET', path: () => '/hubs/sections/1?count=3' },
    { name: 'hubs of the show section', method: 'GET', path: () => '/hubs/sections/2' },
    { name: 'play history', method: 'GET', path: () => '/status/sessions/history/all?sort=viewedAt:desc&X-Plex-Container-Start=0&X-Plex-Container-Size=10' },
    { name: 'play history of one show', method: 'GET', path: () => `/status/sessions/history/all?metadataItemID=${ids.show}&accountID=1` },
    { name: 'sessions', method: 'GET', path: () => '/status/sessions' },
    { name: 'preferences', method: 'GET', path: () => '/:/prefs' },
    {
      name: 'timeline stopped',
      method: 'POST',
      path: () =>
        `/:/timeline?ratingKey=${ids.episode}&key=/library/metadata/${ids.episode}&state=stopped&time=1000&duration=1500000&identifier=com.plexapp.plugins.library`,
      headers: { 'X-Plex-Client-Identifier': 'spec-client' },
    },
    { name: 'scrobble', method: 'PUT', path: () => `/:/scrobble?key=${ids.movie}&identifier=com.plexapp.plugins.library` },
    { name: 'unscrobble', method: 'PUT', path: () => `/:/unscrobble?key=${ids.movie}&identifier=com.plexapp.plugins.library` },
  ];

  for (const testCase of cases) {
    it(`${testCase.method} ${testCase.name}`, async () => {
      const url = new URL(emu.url + testCase.path());
      const found = findOperation(testCase.method, url.pathname);
      assert.ok(found, `${testCase.method} ${url.pathname} is not an operation of the spec`);
      const headers = { Accept: 'application/json', 'X-Plex-Token': emu.ownerToken, ...testCase.headers };
      assert.deepEqual(missingRequiredParams(found.operation, url.searchParams, headers), [], 'required parameters');

      const response = await fetch(url, { method: testCase.method, headers });
      const text = await response.text();
      assert.equal(response.status, 200, text);
      const schema = okJsonSchema(found.operation);
      if (schema === undefined) {
        // e.g. /:/scrobble: the spec's 200 is an empty text/html body.
        assert.equal(text, '', `${found.template} documents no JSON body`);
        return;
      }
      assert.equal(response.headers.get('content-type'), 'application/json');
      const body = JSON.parse(text) as unknown;
      const validate = compile(schema);
      assert.ok(validate(body), `${found.template} response does not match the spec:\n${describeErrors(validate.errors)}`);
      const uncorrected = compileUncorrected(schema);
      if (!uncorrected(body)) uncorrectedFailures.push(...(uncorrected.errors ?? []).map((e) => e.instancePath));
    });
  }

  for (const borrowed of BORROWED_SHAPE) {
    it(`GET ${borrowed.name} has the shape of the spec's Metadata listing`, async () => {
      const listing = okJsonSchema(findOperation('GET', '/library/sections/1/all')!.operation);
      const response = await fetch(emu.url + borrowed.path, { headers: { Accept: 'application/json', 'X-Plex-Token': emu.ownerToken } });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { MediaContainer: { size: number } };
      assert.ok(body.MediaContainer.size > 0, 'a non-empty listing, so rows are checked too');
      const validate = compile(listing);
      assert.ok(validate(body), `${borrowed.path} does not match the listing schema:\n${describeErrors(validate.errors)}`);
    });
  }

  it('is not vacuous: the compiled schemas reject wrong types', () => {
    const identity = okJsonSchema(findOperation('GET', '/identity')!.operation);
    const validate = compile(identity);
    assert.equal(validate({ MediaContainer: { size: '0', claimed: 'yes' } }), false);
    const sections = compile(okJsonSchema(findOperation('GET', '/library/sections/1/all')!.operation));
    assert.equal(sections({ MediaContainer: { size: 1, Metadata: [{ viewOffset: '1000', Guid: [{ id: 5 }] }] } }), false);
    assert.deepEqual(sections.errors?.map((e) => e.instancePath).sort(), ['/MediaContainer/Metadata/0/Guid/0/id', '/MediaContainer/Metadata/0/viewOffset']);
  });

  it('needs every spec correction it lists', () => {
    for (const correction of SPEC_CORRECTIONS) {
      assert.ok(
        uncorrectedFailures.some((path) => correction.failsWithoutAt.test(path)),
        `correction ${correction.pointer} no longer needed (${correction.reason})`,
      );
    }
  });

  it('routes outside the spec are really outside it', () => {
    for (const route of NOT_IN_SPEC) {
      assert.equal(findOperation(route.method, route.path), undefined, `${route.method} ${route.path} is in the spec after all (${route.why})`);
    }
  });

  it("serves the spec's own Recently Watched hub query, with a watched-time filter, as the spec's listing", async () => {
    // The spec's example hub `movie.recentlyviewed.1` names the query PMS uses for watched movies:
    // its key is the section listing with `sort=lastViewedAt:desc&unwatched=0&viewOffset=0`.
    const hub = findHub(spec, 'movie.recentlyviewed.1');
    assert.ok(hub, 'the spec still has the Recently Watched hub example');
    const [finishedOld, finishedNew, rewatching] = emu.state.items.filter((i) => i.type === 'movie' && i.ratingKey !== ids.movie);
    assert.ok(finishedOld && finishedNew && rewatching);
    const since = 1_763_500_000;
    const owner = (emu.state.userState['1'] ??= {});
    owner[finishedOld.ratingKey] = { viewCount: 1, lastViewedAt: since - 10 };
    owner[finishedNew.ratingKey] = { viewCount: 1, lastViewedAt: since + 10 };
    owner[rewatching.ratingKey] = { viewCount: 1, viewOffset: 5000, lastViewedAt: since + 20 };
    const read = async (query: string) => {
      const response = await fetch(`${emu.url}${hub}${query}`, { headers: { Accept: 'application/json', 'X-Plex-Token': emu.ownerToken } });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { MediaContainer: { Metadata?: Array<{ ratingKey: string }> } };
      const validate = compile(okJsonSchema(findOperation('GET', '/library/sections/1/all')!.operation));
      assert.ok(validate(body), describeErrors(validate.errors));
      return (body.MediaContainer.Metadata ?? []).map((row) => row.ratingKey);
    };
    // Newest first, a re-watch in progress left out.
    const all = await read('');
    assert.deepEqual(all.slice(0, 2), [finishedNew.ratingKey, finishedOld.ratingKey]);
    assert.ok(!all.includes(rewatching.ratingKey));
    assert.deepEqual(await read(`&lastViewedAt%3E%3E=${since}`), [finishedNew.ratingKey]);
    assert.deepEqual(await read(`&lastViewedAt%3C%3C=${since}`), [finishedOld.ratingKey]);
  });

  it('answers the spec-documented errors: 400 for scrobble without identifier, 404 for unknown keys', async () => {
    const headers = { 'X-Plex-Token': emu.ownerToken };
    const missing = await fetch(`${emu.url}/:/scrobble?key=${ids.movie}`, { method: 'PUT', headers });
    assert.equal(missing.status, 400);
    assert.ok(findOperation('PUT', '/:/scrobble')!.operation.responses && '400' in (findOperation('PUT', '/:/scrobble')!.operation.responses as Json));
    const unknown = await fetch(`${emu.url}/:/scrobble?key=999999&identifier=com.plexapp.plugins.library`, { method: 'PUT', headers });
    assert.equal(unknown.status, 404);
  });
});
