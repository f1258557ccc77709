// The Plex emulator's two encoders, written by hand for page speed: they must keep PMS's XML and
// JSON forms, and lazily rendered rows (`rows`) must encode exactly as the same rows as children.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeJson, encodeXml, type PlexNode } from '../../emulators/plex/encode.ts';
import { parseXml } from './plex-http.ts';

const row = (ratingKey: string, title: string): PlexNode => ({
  tag: 'Video',
  jsonKey: 'Metadata',
  attrs: { ratingKey, title, viewCount: undefined, duration: 5400000, hidden: false },
  children: [
    { tag: 'Guid', attrs: { id: `imdb://tt${ratingKey}` } },
    { tag: 'User', single: true, attrs: { id: '1' } },
  ],
});

const ROWS = [row('1', 'Tom & Jerry\'s "<Best>"'), row('2', 'Plain'), row('3', 'Ünïcødé 日本')];

function lazy(attrs: PlexNode['attrs'], rows: PlexNode[], children: PlexNode[] = []): PlexNode {
  return { tag: 'MediaContainer', attrs, children, rows: { jsonKey: 'Metadata', length: rows.length, at: (i) => rows[i] as PlexNode } };
}

describe('Plex emulator encoders', () => {
  it('writes XML as PMS does: escaped attributes, booleans 0/1, unset attributes left out, empty elements closed', () => {
    const xml = encodeXml({ tag: 'MediaContainer', attrs: { size: 3, allowSync: true }, children: ROWS });
    assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<MediaContainer size="3" allowSync="1">'));
    assert.ok(xml.endsWith('</MediaContainer>\n'));
    assert.ok(xml.includes('title="Tom &amp; Jerry&apos;s &quot;&lt;Best&gt;&quot;"'));
    assert.ok(xml.includes('<Guid id="imdb://tt1"/>'));
    assert.ok(!xml.includes('viewCount'));
    assert.ok(xml.includes('hidden="0"'));
    const parsed = parseXml(xml);
    assert.deepEqual(
      parsed.MediaContainer.Video.map((v: { title: string }) => v.title),
      ROWS.map((r) => r.attrs.title),
    );
    assert.equal(encodeXml({ tag: 'MediaContainer', attrs: { size: 0 } }), '<?xml version="1.0" encoding="UTF-8"?>\n<MediaContainer size="0"/>\n');
  });

  it('writes JSON with children grouped by key, single children as objects, non-finite numbers as null', () => {
    const json = JSON.parse(encodeJson({ tag: 'MediaContainer', attrs: { size: 3, offset: Number.NaN }, children: ROWS }));
    assert.equal(json.MediaContainer.offset, null);
    assert.deepEqual(json.MediaContainer.Metadata[0], {
      ratingKey: '1',
      title: 'Tom & Jerry\'s "<Best>"',
      duration: 5400000,
      hidden: false,
      Guid: [{ id: 'imdb://tt1' }],
      User: { id: '1' },
    });
  });

  it('encodes lazily rendered rows exactly as the same rows given as children', () => {
    const attrs = { size: 3, totalSize: 10, offset: 4, identifier: 'com.plexapp.plugins.library' };
    const eager: PlexNode = { tag: 'MediaContainer', attrs, children: ROWS };
    assert.equal(encodeJson(lazy(attrs, ROWS)), encodeJson(eager));
    assert.equal(encodeXml(lazy(attrs, ROWS)), encodeXml(eager));
    // With a head child (Meta) first, and with no attributes at all.
    const meta: PlexNode = { tag: 'Meta', single: true, attrs: {}, children: [{ tag: 'Type', attrs: { type: 'movie' } }] };
    assert.equal(encodeJson(lazy(attrs, ROWS, [meta])), encodeJson({ ...eager, children: [meta, ...ROWS] }));
    assert.equal(encodeXml(lazy(attrs, ROWS, [meta])), encodeXml({ ...eager, children: [meta, ...ROWS] }));
    assert.equal(encodeJson(lazy({}, ROWS)), encodeJson({ tag: 'MediaContainer', attrs: {}, children: ROWS }));
    // Rows sharing their key with children join the same array, children first.
    assert.equal(encodeJson(lazy(attrs, ROWS.slice(1), ROWS.slice(0, 1))), encodeJson(eager));
    // No rows: the container stays empty.
    assert.equal(encodeJson(lazy({ size: 0 }, [])), '{"MediaContainer":{"size":0}}');
  });
});
