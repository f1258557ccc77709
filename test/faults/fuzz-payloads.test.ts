// fast-check fuzzing of every payload parser: the JSON each provider reads (Plex, Jellyfin/Emby,
// Trakt), through the HTTP client's parse step and the provider's mapping to our records. Any
// body gives either records whose every number is finite (positions and durations also
// non-negative) or a `bad_response` ProviderError that names the provider and the field. Never a
// TypeError, never Infinity or NaN in a record. Fixed seed, a few thousand cases per parser.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import type { z } from 'zod';
import type { ProgressRecord } from '../../src/core/model.ts';
import { HttpClient } from '../../src/providers/http.ts';
import { recordFromItem } from '../../src/providers/mediabrowser/index.ts';
import { itemsResult, sessionList, userData } from '../../src/providers/mediabrowser/schema.ts';
import { recordFromRow } from '../../src/providers/plex/index.ts';
import { metadataContainer, sessionsContainer } from '../../src/providers/plex/schema.ts';
import { ProviderError } from '../../src/providers/provider.ts';
import { recordFromPlayback } from '../../src/providers/trakt/index.ts';
import { playbackList, scrobbleResponse } from '../../src/providers/trakt/schema.ts';

export const FUZZ_SEED = 20_261_206;
const RUNS = 2_000;
const PROVIDER = 'fuzzed';

const client = new HttpClient({ provider: PROVIDER, baseUrl: 'http://127.0.0.1:9', headers: {}, timeoutMs: 1000, retries: 0, log: pino({ level: 'silent' }) });

/** Parses a body as the client does: the value, or the typed error (anything else is a crash). */
function parseBody<S extends z.ZodType>(schema: S, text: string): { ok: true; value: z.output<S> } | { ok: false } {
  try {
    return { ok: true, value: client.parse(schema, { status: 200, headers: { 'content-type': 'application/json' }, text }, 'GET /fuzz') };
  } catch (err) {
    assert.ok(err instanceof ProviderError, `not a ProviderError: ${String(err)}`);
    assert.equal(err.kind, 'bad_response');
    assert.ok(err.message.startsWith(`${PROVIDER}: `), `the error names the provider: ${err.message}`);
    assert.match(err.message, /not valid JSON|unexpected JSON at \S+/, `the error names the field: ${err.message}`);
    return { ok: false };
  }
}

const FINITE_FIELDS = ['progressMs', 'durationMs', 'progressPct', 'progressAt', 'watchedAt', 'playCount', 'year', 'season', 'episode'] as const;

/** What every record must hold, whatever the server sent. */
function assertSaneRecord(r: ProgressRecord): void {
  for (const field of FINITE_FIELDS) {
    const v = r[field];
    if (v !== undefined) assert.ok(typeof v === 'number' && Number.isFinite(v), `${field} is ${String(v)}`);
  }
  if (r.progressMs !== undefined) assert.ok(r.progressMs >= 0, `progressMs ${r.progressMs}`);
  if (r.durationMs !== undefined) assert.ok(r.durationMs > 0, `durationMs ${r.durationMs}`);
  assert.equal(typeof r.title, 'string');
  assert.equal(typeof r.ref.id, 'string');
  for (const id of Object.values(r.ids)) assert.equal(typeof id, 'string');
}

// ---- arbitraries: numbers as servers send them, and as they should never ------------------

/** Numbers in every form a server (or a broken plugin) sends: ints, floats, negative, huge, quoted, absurd. */
const wireNumber = fc.oneof(
  { weight: 30, arbitrary: fc.integer({ min: 0, max: 10_000_000_000 }) },
  { weight: 10, arbitrary: fc.integer() },
  { weight: 5, arbitrary: fc.double() },
  { weight: 10, arbitrary: fc.integer().map(String) },
  { weight: 2, arbitrary: fc.double().map(String) },
  { weight: 1, arbitrary: fc.integer({ min: 300, max: 420 }).map((n) => `${n % 2 ? '-' : ''}${'9'.repeat(n)}`) },
  { weight: 1, arbitrary: fc.constantFrom('', 'NaN', 'Infinity', '1e999', '-0', '0x10', ' 12 ') },
  { weight: 1, arbitrary: fc.constantFrom(null, 1e308, -1e308, Number.MAX_SAFE_INTEGER, 5e-324) },
);
/** A field that is usually right and sometimes anything at all. */
const mostly = <T>(good: fc.Arbitrary<T>) => fc.oneof({ weight: 60, arbitrary: good }, { weight: 1, arbitrary: fc.anything() });
/** Trakt sends JSON numbers: mostly those, now and then anything a server might. */
const jsonNumber = fc.oneof(
  { weight: 20, arbitrary: fc.integer({ min: 0, max: 100_000 }) },
  { weight: 8, arbitrary: fc.double({ min: -1e308, max: 1e308, noNaN: true }) },
  { weight: 1, arbitrary: wireNumber },
);
const isoDate = fc.oneof(
  fc.date({ noInvalidDate: false }).map((d) => (Number.isNaN(d.getTime()) ? 'not a date' : d.toISOString())),
  fc.string(),
  wireNumber,
);
const guidText = fc.oneof(
  fc.constantFrom('imdb://tt0111161', 'tmdb://278', 'tvdb://81189', 'plex://movie/5d776', 'com.plexapp.agents.imdb://tt0111161?lang=en'),
  fc.string(),
);

const plexRow = fc.record(
  {
    ratingKey: mostly(fc.oneof(fc.integer().map(String), fc.integer())),
    type: mostly(fc.constantFrom('movie', 'episode', 'show', 'clip')),
    title: mostly(fc.string()),
    year: wireNumber,
    guid: mostly(guidText),
    Guid: mostly(fc.array(fc.record({ id: mostly(guidText) }), { maxLength: 3 })),
    duration: wireNumber,
    viewOffset: wireNumber,
    viewCount: wireNumber,
    lastViewedAt: wireNumber,
    index: wireNumber,
    parentIndex: wireNumber,
    grandparentTitle: mostly(fc.string()),
    grandparentGuid: mostly(guidText),
  },
  { requiredKeys: [] },
);
const plexContainer = fc.record(
  { MediaContainer: mostly(fc.record({ size: wireNumber, Metadata: mostly(fc.array(plexRow, { maxLength: 2 })) }, { requiredKeys: [] })) },
  { requiredKeys: [] },
);

const mbUserData = fc.record(
  { PlaybackPositionTicks: wireNumber, PlayCount: wireNumber, Played: mostly(fc.boolean()), LastPlayedDate: mostly(isoDate), IsFavorite: mostly(fc.boolean()) },
  { requiredKeys: [] },
);
const mbItem = fc.record(
  {
    Id: mostly(fc.oneof(fc.stringMatching(/^[0-9a-f]{32}$/), fc.integer())),
    Name: mostly(fc.string()),
    Type: mostly(fc.constantFrom('Movie', 'Episode', 'Series', 'Folder')),
    RunTimeTicks: wireNumber,
    ProductionYear: wireNumber,
    ProviderIds: mostly(fc.dictionary(fc.constantFrom('Imdb', 'Tmdb', 'Tvdb', 'imdb', 'Other'), fc.oneof(fc.string(), fc.constant(null)))),
    UserData: mostly(mbUserData),
    SeriesName: mostly(fc.string()),
    IndexNumber: wireNumber,
    ParentIndexNumber: wireNumber,
  },
  { requiredKeys: [] },
);
const mbItems = fc.record({ Items: mostly(fc.array(mbItem, { maxLength: 2 })), TotalRecordCount: wireNumber, StartIndex: wireNumber }, { requiredKeys: [] });

const traktIds = fc.record(
  { trakt: jsonNumber, imdb: mostly(fc.string()), tmdb: jsonNumber, tvdb: jsonNumber, slug: mostly(fc.string()) },
  { requiredKeys: [] },
);
const traktPlayback = fc.record(
  {
    type: mostly(fc.constantFrom('movie', 'episode')),
    id: jsonNumber,
    progress: jsonNumber,
    paused_at: mostly(fc.date({ min: new Date(0), max: new Date(4e12) }).map((d) => d.toISOString())),
    movie: mostly(fc.record({ title: mostly(fc.string()), year: jsonNumber, runtime: jsonNumber, ids: mostly(traktIds) }, { requiredKeys: [] })),
    episode: mostly(
      fc.record({ season: jsonNumber, number: jsonNumber, title: mostly(fc.string()), runtime: jsonNumber, ids: mostly(traktIds) }, { requiredKeys: [] }),
    ),
    show: mostly(fc.record({ title: mostly(fc.string()), year: jsonNumber, ids: mostly(traktIds) }, { requiredKeys: [] })),
  },
  { requiredKeys: [] },
);

/** Bodies: the structured payload as JSON, cut anywhere, or plain text. */
const bodies = (structured: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 6, arbitrary: structured.map((v) => JSON.stringify(v)) },
    {
      weight: 2,
      arbitrary: fc.tuple(structured, fc.nat()).map(([v, cut]) => {
        const t = JSON.stringify(v) ?? '';
        return t.slice(0, cut % (t.length + 1));
      }),
    },
    { weight: 1, arbitrary: fc.string() },
    { weight: 1, arbitrary: fc.json() },
  );

const CTX = { provider: PROVIDER, server: 'fuzz-server', sectionId: '1' };

/**
 * Runs the property; at least one body in twenty must parse and map to records, so that the
 * mapping is fuzzed too, not only the refusal.
 */
function fuzz<S extends z.ZodType>(
  schema: S,
  structured: fc.Arbitrary<unknown>,
  toRecords: (value: z.output<S>) => ProgressRecord[],
  opts: { mapsRecords?: boolean } = {},
): void {
  let accepted = 0;
  let records = 0;
  fc.assert(
    fc.property(bodies(structured), (text) => {
      const parsed = parseBody(schema, text);
      if (!parsed.ok) return;
      accepted++;
      for (const r of toRecords(parsed.value)) {
        records++;
        assertSaneRecord(r);
      }
    }),
    { seed: FUZZ_SEED, numRuns: RUNS },
  );
  assert.ok(accepted >= RUNS / 20, `only ${accepted} of ${RUNS} bodies parsed: the generator is too wild`);
  if (opts.mapsRecords !== false) assert.ok(records >= RUNS / 20, `only ${records} records mapped`);
}

describe('fuzz: payload parsers', () => {
  test('fuzz: Plex library JSON (MediaContainer.Metadata → records)', () => {
    fuzz(metadataContainer, plexContainer, (v) => (v.MediaContainer.Metadata ?? []).map((row) => recordFromRow(row, CTX)));
  });

  test('fuzz: Plex sessions JSON', () => {
    fuzz(
      sessionsContainer,
      fc.record({ MediaContainer: mostly(fc.record({ Metadata: mostly(fc.array(plexRow, { maxLength: 3 })) }, { requiredKeys: [] })) }, { requiredKeys: [] }),
      () => [],
      { mapsRecords: false },
    );
  });

  test('fuzz: Jellyfin/Emby items JSON (Items → records)', () => {
    fuzz(itemsResult, mbItems, (v) => v.Items.map((item) => recordFromItem(item, CTX)));
  });

  test('fuzz: Jellyfin/Emby user data and sessions JSON', () => {
    fuzz(userData, mbUserData, () => [], { mapsRecords: false });
    fuzz(
      sessionList,
      fc.array(fc.record({ UserId: mostly(fc.string()), NowPlayingItem: mostly(fc.record({ Id: mostly(fc.string()) })) }, { requiredKeys: [] }), {
        maxLength: 3,
      }),
      () => [],
      { mapsRecords: false },
    );
  });

  test('fuzz: Trakt playback JSON (→ records)', () => {
    fuzz(playbackList, fc.array(traktPlayback, { maxLength: 2 }), (v) => v.map((entry) => recordFromPlayback(entry, CTX)));
  });

  test('fuzz: Trakt scrobble reply JSON', () => {
    fuzz(
      scrobbleResponse,
      fc.record({ id: wireNumber, action: mostly(fc.constantFrom('pause', 'start', 'scrobble')), progress: wireNumber }, { requiredKeys: [] }),
      () => [],
      { mapsRecords: false },
    );
  });
});
