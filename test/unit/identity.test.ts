// Issue 10, defects 5 and 9: different items that share an external id are never written
// (`ambiguous_ids`), copies of one item still are; an impossible position is never used
// (`bad_position`), on the source or on the target.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { pickNewest, sameItem } from '../../src/core/duplicates.ts';
import { itemsOf, sharedTargets } from '../../src/core/match.ts';
import { planItem } from '../../src/core/decide.ts';
import { DEFAULT_PROGRESS_SETTINGS } from '../../src/core/pair.ts';
import { positionProblem } from '../../src/core/position.ts';
import type { NativeRef, ProgressRecord } from '../../src/core/model.ts';
import { positionFrom } from '../../src/providers/wire.ts';
import { AT, DUR, decideInput, record, target } from '../support/decide-fixtures.ts';

const edition = (id: string, over: Partial<ProgressRecord> = {}) => record({ ref: { provider: 'plex-home', server: 'home', id }, ...over });

describe('sameItem: copies of one item, or different items sharing an id', () => {
  const rows: [string, Partial<ProgressRecord>, Partial<ProgressRecord>, boolean][] = [
    ['the same film in two libraries', {}, {}, true],
    ['another encode, 30 s shorter', {}, { durationMs: DUR - 30_000 }, true],
    ['exactly two minutes apart: still one cut', {}, { durationMs: DUR - 120_000 }, true],
    ['another cut, 2 min 1 s longer', {}, { durationMs: DUR + 121_000 }, false],
    ['one runtime unknown: nothing tells them apart', {}, { durationMs: undefined }, true],
    ['titles differ', {}, { title: 'The Shawshank Redemption (Director’s Cut)' }, false],
    ['titles differ only in case and punctuation', { title: 'Heat' }, { title: 'heat.' }, true],
    ['titles differ only in accents', { title: 'Amélie' }, { title: 'Amelie' }, true],
    ['a zero runtime says nothing', {}, { durationMs: 0 }, true],
    ['years differ', { year: 1994 }, { year: 1995 }, false],
    ['one year unknown', { year: 1994 }, {}, true],
    ['a second id kind differs', { ids: { imdb: 'tt0111161', tmdb: '278' } }, { ids: { imdb: 'tt0111161', tmdb: '999' } }, false],
    ['a second id kind only on one side', { ids: { imdb: 'tt0111161', tmdb: '278' } }, {}, true],
    ['episodes: another season', { type: 'episode', season: 1, episode: 2 }, { type: 'episode', season: 2, episode: 2 }, false],
    ['episodes: another number', { type: 'episode', season: 1, episode: 2 }, { type: 'episode', season: 1, episode: 3 }, false],
    ['episodes: the same one', { type: 'episode', season: 1, episode: 2 }, { type: 'episode', season: 1, episode: 2 }, true],
  ];
  for (const [name, a, b, same] of rows) {
    it(name, () => {
      const [x, y] = [edition('1', a), edition('2', b)];
      assert.equal(sameItem(x, y), same);
      assert.equal(sameItem(y, x), same, 'symmetric');
    });
  }
});

describe('itemsOf: different items under one key', () => {
  it('two editions with one imdb id: one item, ambiguous, listing both (titles and ids), whatever the listing order', () => {
    const theatrical = edition('11', { title: 'Blade Runner', durationMs: 7_020_000, progressAt: AT - 60_000 });
    const finalCut = edition('12', { title: 'Blade Runner', durationMs: 7_020_000 + 600_000 });
    for (const list of [
      [theatrical, finalCut],
      [finalCut, theatrical],
    ]) {
      const item = itemsOf(list, 'cabin').get('imdb:tt0111161');
      assert.deepEqual(item?.ambiguous, {
        side: 'source',
        items: [
          { provider: 'plex-home', id: '11', title: 'Blade Runner', durationMs: 7_020_000 },
          { provider: 'plex-home', id: '12', title: 'Blade Runner', durationMs: 7_620_000 },
        ],
      });
      assert.equal(item?.record, finalCut, 'the newest stands for the key');
    }
  });
  it('copies of one item: the newest wins, nothing ambiguous', () => {
    const older = edition('1', { progressAt: AT - 60_000 });
    const newer = edition('2', { progressMs: 100_000 });
    const item = itemsOf([older, newer], 'cabin').get('imdb:tt0111161');
    assert.equal(item?.record, newer);
    assert.equal(item?.ambiguous, undefined);
  });
  it('three listings, two copies and one other cut: ambiguous, all three named', () => {
    const list = [edition('1'), edition('2'), edition('3', { durationMs: DUR * 2 })];
    assert.deepEqual(
      itemsOf(list, 'cabin')
        .get('imdb:tt0111161')
        ?.ambiguous?.items.map((i) => i.id),
      ['1', '2', '3'],
    );
  });
});

describe('sharedTargets: several source items found as one target item', () => {
  const ref = (id: string): NativeRef => ({ provider: 'jf', server: 'jf1', id });
  it('different items found as one: every one of them, naming the target item and the source items', () => {
    const a = { key: 'imdb:tt1', record: edition('1', { ids: { imdb: 'tt0000001', tmdb: '5' }, title: 'A' }), ref: ref('x') };
    const b = { key: 'tmdb:5', record: edition('2', { ids: { tmdb: '5' }, title: 'B' }), ref: ref('x') };
    const c = { key: 'imdb:tt3', record: edition('3', { ids: { imdb: 'tt0000003' } }), ref: ref('y') };
    const got = sharedTargets([a, b, c]);
    assert.deepEqual([...got.keys()], ['imdb:tt1', 'tmdb:5']);
    assert.deepEqual(got.get('tmdb:5'), {
      side: 'source',
      target: 'x',
      items: [
        { provider: 'plex-home', id: '1', title: 'A', durationMs: DUR },
        { provider: 'plex-home', id: '2', title: 'B', durationMs: DUR },
      ],
    });
  });
  it('a copy counts, not only the record standing for its key (the law found this)', () => {
    // X is listed twice (copies: nothing tells them apart); Y shares nothing with X's newer copy,
    // but its tmdb id differs from X's other copy: X and Y are different items.
    const x1 = edition('1', { ids: { imdb: 'tt0000002' } });
    const x2 = edition('2', { ids: { imdb: 'tt0000002', tmdb: '6' }, progressAt: undefined });
    const y = edition('3', { ids: { tmdb: '5' } });
    const items = [...itemsOf([x1, x2, y], 'cabin').values()].map((i) => ({ ...i, ref: ref('t1') }));
    assert.deepEqual(
      items.map((i) => [i.key, i.record.ref.id, i.ambiguous]),
      [
        ['imdb:tt0000002', '1', undefined],
        ['tmdb:5', '3', undefined],
      ],
    );
    const got = sharedTargets(items);
    assert.deepEqual([...got.keys()], ['imdb:tt0000002', 'tmdb:5']);
    assert.deepEqual(
      got.get('tmdb:5')?.items.map((i) => i.id),
      ['1', '2', '3'],
    );
  });
  it('an item named without a runtime is named without one; ids sort as numbers', () => {
    const a = { key: 'a', record: edition('10', { title: 'A', durationMs: undefined }), ref: ref('x') };
    const b = { key: 'b', record: edition('9', { title: 'B', durationMs: undefined }), ref: ref('x') };
    assert.deepEqual(sharedTargets([a, b]).get('a')?.items, [
      { provider: 'plex-home', id: '10', title: 'A' },
      { provider: 'plex-home', id: '9', title: 'B' },
    ]);
    const list = [edition('10', { durationMs: undefined }), edition('9', { title: 'Other' })];
    assert.deepEqual(
      itemsOf(list, 'cabin')
        .get('imdb:tt0111161')
        ?.ambiguous?.items.map((i) => i.id),
      ['9', '10'],
    );
  });
  it('one item alone on its target is left to itemsOf, even when its copies differ', () => {
    const copies = [edition('1'), edition('2', { title: 'Other' })];
    assert.equal(sharedTargets([{ key: 'k', record: edition('1'), copies, ref: ref('x') }]).size, 0);
  });
  it('copies of one item found as one target item, or on different servers, or unresolved: none', () => {
    const a = { key: 'imdb:tt1', record: edition('1'), ref: ref('x') };
    const b = { key: 'tmdb:5', record: edition('2'), ref: ref('x') };
    const other = { key: 'k', record: edition('3', { title: 'Other' }), ref: { ...ref('x'), server: 'elsewhere' } };
    const none = { key: 'n', record: edition('4', { title: 'None' }) };
    assert.equal(sharedTargets([a, b, other, none]).size, 0);
  });
});

describe('the law: no write ever targets an item that two different source items resolve to', () => {
  // A small world: few titles, ids and runtimes, so collisions are common; each key resolves
  // to one of three target items (or none).
  const rec = fc
    .record({
      id: fc.integer({ min: 1, max: 30 }),
      title: fc.constantFrom('Heat', 'Alien', 'Heat (Director’s Cut)'),
      imdb: fc.option(fc.constantFrom('tt0000001', 'tt0000002'), { nil: undefined }),
      tmdb: fc.option(fc.constantFrom('5', '6'), { nil: undefined }),
      durationMs: fc.option(fc.constantFrom(6_000_000, 6_060_000, 7_000_000), { nil: undefined }),
      progressMs: fc.integer({ min: 600_000, max: 3_000_000 }),
      progressAt: fc.option(fc.integer({ min: AT - 5, max: AT }), { nil: undefined }),
    })
    .map(({ id, imdb, tmdb, ...r }) =>
      record({
        ref: { provider: 'plex-home', server: 'home', id: String(id) },
        ids: { ...(imdb ? { imdb } : {}), ...(tmdb ? { tmdb } : {}) },
        ...Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)),
        ...(r.durationMs === undefined ? { durationMs: undefined } : {}),
        ...(r.progressAt === undefined ? { progressAt: undefined } : {}),
      }),
    );
  it('holds for any listing and any resolution', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(rec, { selector: (r) => r.ref.id, maxLength: 8 }),
        fc.func(fc.constantFrom('t1', 't2', 't3', undefined)),
        (records, resolveTo) => {
          const items = [...itemsOf(records, 'cabin').values()].filter((i) => i.resolution === 'resolved');
          const matched = items
            .filter((i) => !i.ambiguous)
            .map((i) => {
              const id = resolveTo(i.key);
              return id === undefined ? i : { ...i, ref: { provider: 'jf', server: 'jf1', id } };
            });
          const shared = sharedTargets(matched);
          const writtenTo = new Map<string, ProgressRecord[]>();
          for (const m of matched) {
            const { decision, write } = planItem({
              key: m.key,
              source: m.record,
              target: 'ref' in m && m.ref ? target({ ref: m.ref, progressAt: AT - 10_000_000 }) : undefined,
              resolution: 'ref' in m && m.ref ? 'resolved' : 'unresolved',
              settings: DEFAULT_PROGRESS_SETTINGS,
              sameOrigin: false,
              ...(shared.has(m.key) ? { ambiguous: shared.get(m.key) } : {}),
            });
            if (shared.has(m.key)) assert.equal(decision.reason, 'ambiguous_ids');
            if (!write) continue;
            // Every source record behind the item (all copies itemsOf folded into it).
            const behind = records.filter((r) => itemsOf([r], 'cabin').keys().next().value === m.key);
            writtenTo.set(write.ref.id, [...(writtenTo.get(write.ref.id) ?? []), ...behind]);
          }
          for (const [, rs] of writtenTo)
            for (const a of rs) for (const b of rs) assert.ok(sameItem(a, b), `${a.title}/${a.ref.id} and ${b.title}/${b.ref.id} written to one item`);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('pickNewest: the winner among copies never depends on listing order', () => {
  it('three copies, some without a duration (pairwise rules would go round in a circle)', () => {
    // a beats b by ms, b beats c by ms, c beats a by share: the old pairwise rule's cycle.
    const a = edition('1', { progressMs: 500, durationMs: 1000, progressAt: AT });
    const b = edition('2', { progressMs: 400, durationMs: undefined, progressAt: AT });
    const c = edition('3', { progressMs: 300, durationMs: 500, progressAt: AT });
    const winners = [
      [a, b, c],
      [a, c, b],
      [b, a, c],
      [b, c, a],
      [c, a, b],
      [c, b, a],
    ].map((order) => pickNewest(order));
    assert.deepEqual(new Set(winners), new Set([a]), 'not every copy has a share: ms decide');
    assert.equal(itemsOf([c, b, a], 'x').get('imdb:tt0111161')?.record, a);
    assert.equal(itemsOf([b, a, c], 'x').get('imdb:tt0111161')?.record, a);
    // Every copy has a share: shares decide.
    assert.equal(pickNewest([a, c]), c);
  });
  const copy = fc
    .record({
      id: fc.integer({ min: 0, max: 50 }),
      progressMs: fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: undefined }),
      durationMs: fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: undefined }),
      progressAt: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    })
    .map(({ id, progressMs, durationMs, progressAt }) => edition(String(id), { progressMs, durationMs, progressAt } as Partial<ProgressRecord>));
  it('any permutation of any copies picks the same record', () => {
    fc.assert(
      fc.property(fc.uniqueArray(copy, { selector: (r) => r.ref.id, minLength: 1, maxLength: 6 }), fc.infiniteStream(fc.nat()), (copies, seeds) => {
        const shuffled = [...copies];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = (seeds.next().value as number) % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j] as ProgressRecord, shuffled[i] as ProgressRecord];
        }
        assert.equal(pickNewest(shuffled), pickNewest(copies));
        assert.equal(itemsOf(shuffled, 'x').get('imdb:tt0111161')?.record, pickNewest(copies));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('planItem: ambiguous ids and impossible positions', () => {
  const plan = (over: Partial<Parameters<typeof planItem>[0]> = {}) => planItem(decideInput(over));
  it('ambiguous: skipped before anything else, with the detail as given, no write', () => {
    const ambiguous = {
      side: 'target' as const,
      items: [
        { provider: 'jf', id: 'a' },
        { provider: 'jf', id: 'b' },
      ],
    };
    for (const source of [record(), record({ progressMs: 1000 }), record({ progressMs: -5 })]) {
      const got = plan({ source, ambiguous });
      assert.equal(got.write, undefined);
      assert.equal(got.decision.reason, 'ambiguous_ids');
      assert.equal(got.decision.action, 'skip');
      assert.deepEqual(got.decision.detail, ambiguous);
    }
  });
  const bad: [string, Partial<ProgressRecord>, { field: string; raw: string; why: string }][] = [
    [
      'a negative viewOffset',
      { progressMs: undefined, badPosition: { field: 'viewOffset', raw: '-5000' } },
      { field: 'viewOffset', raw: '-5000', why: 'negative' },
    ],
    ['a NaN viewOffset', { progressMs: undefined, badPosition: { field: 'viewOffset', raw: 'NaN' } }, { field: 'viewOffset', raw: 'NaN', why: 'not a number' }],
    ['Trakt over 100 %', { progressMs: undefined, badPosition: { field: 'progress', raw: '150' } }, { field: 'progress', raw: '150', why: 'out of range' }],
    ['past the runtime', { progressMs: DUR + 1001 }, { field: 'progressMs', raw: String(DUR + 1001), why: `past the runtime of ${DUR} ms` }],
  ];
  for (const [name, over, want] of bad) {
    it(`source: ${name} is bad_position (source), never written, whatever the target`, () => {
      for (const t of [target(), undefined]) {
        const got = plan({ source: record(over), target: t, resolution: t ? 'resolved' : 'unresolved' });
        assert.equal(got.write, undefined);
        assert.equal(got.decision.reason, 'bad_position');
        assert.equal(got.decision.action, 'skip');
        assert.deepEqual(got.decision.detail, { side: 'source', provider: 'plex-home', id: '101', ...want });
      }
    });
    it(`target: ${name} is bad_position (target): nothing written over it`, () => {
      const got = plan({ target: target(over) });
      assert.equal(got.write, undefined);
      assert.equal(got.decision.reason, 'bad_position');
      assert.equal(got.decision.action, 'skip');
      assert.deepEqual(got.decision.detail, { side: 'target', provider: 'plex-cabin', id: '7', ...want });
    });
  }
  it('a source 1 s past its runtime (rounding) is no bad position: nearly finished', () => {
    assert.equal(plan({ source: record({ progressMs: DUR + 1000 }) }).decision.reason, 'near_complete');
  });
  it('a source that is fine over a target that is fine is written', () => {
    assert.equal(plan().decision.reason, 'write');
  });
});

describe('positionProblem', () => {
  const rows: [string, Parameters<typeof positionProblem>[0], ReturnType<typeof positionProblem>][] = [
    ['nothing', {}, undefined],
    ['a position', { progressMs: 5, durationMs: 10 }, undefined],
    ['no duration: any positive ms', { progressMs: 1e12 }, undefined],
    ['a zero duration says nothing', { progressMs: 5, durationMs: 0 }, undefined],
    ['a zero duration says nothing, whatever the position', { progressMs: 5000, durationMs: 0 }, undefined],
    ['negative ms', { progressMs: -1 }, { field: 'progressMs', raw: '-1', why: 'negative' }],
    ['NaN ms', { progressMs: Number.NaN }, { field: 'progressMs', raw: 'NaN', why: 'not a number' }],
    ['infinite ms', { progressMs: Number.POSITIVE_INFINITY }, { field: 'progressMs', raw: 'Infinity', why: 'out of range' }],
    ['a percent of 100', { progressPct: 100 }, undefined],
    ['a percent over 100', { progressPct: 100.5 }, { field: 'progressPct', raw: '100.5', why: 'out of range' }],
    ['a negative percent', { progressPct: -0.5 }, { field: 'progressPct', raw: '-0.5', why: 'negative' }],
    ['a reported bad value, empty', { badPosition: { field: 'f', raw: ' ' } }, { field: 'f', raw: ' ', why: 'not a number' }],
    ['a reported bad value, huge', { badPosition: { field: 'f', raw: '1e400' } }, { field: 'f', raw: '1e400', why: 'out of range' }],
  ];
  for (const [name, input, want] of rows) it(name, () => assert.deepEqual(positionProblem(input), want));
});

describe('positionFrom: a provider keeps a bad position instead of dropping it', () => {
  const ticks = (n: number) => n / 10_000;
  const rows: [string, Parameters<typeof positionFrom>, ReturnType<typeof positionFrom>][] = [
    ['absent', ['progressMs', 'viewOffset', undefined], {}],
    ['null', ['progressMs', 'viewOffset', null], {}],
    ['zero', ['progressMs', 'viewOffset', 0], {}],
    ['"0"', ['progressMs', 'viewOffset', '0'], {}],
    ['a number', ['progressMs', 'viewOffset', 5000], { progressMs: 5000 }],
    ['a numeric string', ['progressMs', 'viewOffset', '5000'], { progressMs: 5000 }],
    ['scaled', ['progressMs', 'PlaybackPositionTicks', 50_000, ticks], { progressMs: 5 }],
    ['negative', ['progressMs', 'viewOffset', -5000], { badPosition: { field: 'viewOffset', raw: '-5000' } }],
    ['"NaN"', ['progressMs', 'viewOffset', 'NaN'], { badPosition: { field: 'viewOffset', raw: 'NaN' } }],
    ['empty text', ['progressMs', 'viewOffset', ''], { badPosition: { field: 'viewOffset', raw: '' } }],
    ['NaN', ['progressMs', 'viewOffset', Number.NaN], { badPosition: { field: 'viewOffset', raw: 'NaN' } }],
    ['a percent of 100', ['progressPct', 'progress', 100, undefined, 100], { progressPct: 100 }],
    ['a percent over 100', ['progressPct', 'progress', 100.1, undefined, 100], { badPosition: { field: 'progress', raw: '100.1' } }],
  ];
  for (const [name, args, want] of rows) it(name, () => assert.deepEqual(positionFrom(...args), want));
});
