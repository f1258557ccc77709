// Fidelity (c): the provider's own schemas and mapping read the payloads a real Plex Media Server
// sent (recorded in ../shared/fixtures), not only what our emulator produces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { metadataContainer, sectionsContainer, serverInfoContainer } from '../../src/providers/plex/schema.ts';
import { recordFromRow, selectSections, showIdsOf } from '../../src/providers/plex/index.ts';
import { entriesOfRow } from '../../src/providers/plex/resolve.ts';
import { canonicalKey } from '../../src/core/ids.ts';

interface Recorded {
  response: { http_code: number; headers?: Record<string, string>; body: unknown };
}
const fixtures = JSON.parse(readFileSync(new URL('../../../shared/fixtures/plex/watchstate_plex_data.json', import.meta.url), 'utf8')) as Record<
  string,
  Recorded
>;
const body = (name: string): unknown => {
  const f = fixtures[name];
  assert.ok(f, `fixture ${name}`);
  return f.response.body;
};

test('recorded /library/sections parses, and movie/show sections are selected', () => {
  const parsed = sectionsContainer.parse(body('sections_get_200'));
  const sections = (parsed.MediaContainer.Directory ?? []).map((d) => ({ id: String(d.key), type: d.type, title: d.title }));
  const selected = selectSections('rec', sections, undefined);
  assert.deepEqual(
    selected.map((s) => [s.id, s.type]),
    [
      ['1', 'movie'],
      ['2', 'show'],
      ['3', 'show'],
    ],
  );
});

test('recorded movie listing maps to a record with external ids from Guid[]', () => {
  const parsed = metadataContainer.parse(body('library_movie_get_200'));
  const row = parsed.MediaContainer.Metadata?.[0];
  assert.ok(row);
  const record = recordFromRow(row, { provider: 'rec', server: 'plex-server-1', sectionId: '1' });
  assert.equal(record.type, 'movie');
  assert.equal(record.title, 'Ferengi: Rules of Acquisition');
  assert.equal(record.year, 2000);
  assert.deepEqual(record.ids, { imdb: 'tt0000001', tmdb: '1', tvdb: '1' });
  assert.equal(record.durationMs, 6989056);
  assert.equal(record.ref.id, '1');
  assert.equal(canonicalKey(record), 'imdb:tt0000001');
  assert.deepEqual(
    entriesOfRow(row).map((e) => e.token),
    ['movie:imdb:tt0000001', 'movie:tmdb:1', 'movie:tvdb:1'],
  );
});

test('recorded episode listing maps season, episode, watched state and a UTC time in ms', () => {
  const parsed = metadataContainer.parse(body('library_episodes_get_200'));
  const row = parsed.MediaContainer.Metadata?.[0];
  assert.ok(row);
  const shows = metadataContainer.parse(body('library_show_get_200')).MediaContainer.Metadata ?? [];
  const show = shows.find((s) => s.ratingKey === row.grandparentRatingKey);
  assert.ok(show, 'the recorded show of the episode');
  const record = recordFromRow(row, { provider: 'rec', server: 'plex-server-1', sectionId: '2', show: { ids: showIdsOf(show) } });
  assert.equal(record.type, 'episode');
  assert.equal(record.season, 1);
  assert.equal(record.episode, 1);
  assert.equal(record.watched, true);
  assert.equal(record.progressAt, 1643805016 * 1000);
  assert.deepEqual(record.show?.ids, { tmdb: '3', tvdb: '3' });
  assert.equal(record.show?.title, 'Ferengi StandUp Comedy');
  // The show's ids + coordinates form the key, so other servers find the same episode.
  assert.equal(canonicalKey(record), 'tmdb:3#s01e01');
  assert.ok(entriesOfRow(row).some((e) => e.token === 'coord:3#s01e01'));
});

test('recorded server info parses', () => {
  const parsed = serverInfoContainer.parse(body('server_info_get_200'));
  assert.equal(parsed.MediaContainer.machineIdentifier, 'plex-server-1');
});
