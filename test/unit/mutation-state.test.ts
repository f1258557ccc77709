// state.ts pinned down (issue 16): an incremental index update drops the removed tokens, sets the
// entries it saw and keeps the rest, as the store does in SQL.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyIndexUpdate } from '../../src/core/state.ts';
import type { IndexEntry } from '../../src/core/state.ts';

const META = { refreshedAt: 100, scope: 'lib-1' };
const e = (token: string, id: string, kind = 'movie'): IndexEntry => ({ kind, token, id });

describe('applyIndexUpdate', () => {
  const stored = [e('movie:imdb:tt1', '1'), e('movie:tmdb:2', '2'), e('movie:tvdb:3', '3')];
  const cases: [string, { entries: IndexEntry[]; removedTokens: string[] }, IndexEntry[]][] = [
    ['an empty update keeps everything, in order', { entries: [], removedTokens: [] }, stored],
    ['a removed token goes', { entries: [], removedTokens: ['movie:tmdb:2'] }, [stored[0]!, stored[2]!]],
    ['removing an unknown token changes nothing', { entries: [], removedTokens: ['movie:imdb:tt9'] }, stored],
    [
      'a seen entry replaces the stored one under its token, in place',
      { entries: [e('movie:tmdb:2', '20')], removedTokens: [] },
      [stored[0]!, e('movie:tmdb:2', '20'), stored[2]!],
    ],
    ['a new entry is added at the end', { entries: [e('show:tvdb:4', '4', 'show')], removedTokens: [] }, [...stored, e('show:tvdb:4', '4', 'show')]],
    [
      'a token removed and seen again holds the new entry',
      { entries: [e('movie:imdb:tt1', '10')], removedTokens: ['movie:imdb:tt1'] },
      [stored[1]!, stored[2]!, e('movie:imdb:tt1', '10')],
    ],
    ['within one update the last entry for a token wins', { entries: [e('x', 'a'), e('x', 'b')], removedTokens: [] }, [...stored, e('x', 'b')]],
  ];
  for (const [name, update, expected] of cases) {
    it(name, () => assert.deepEqual(applyIndexUpdate(stored, { ...META, ...update }), expected));
  }

  it('does not change the stored entries it was given', () => {
    const copy = structuredClone(stored);
    applyIndexUpdate(stored, { ...META, entries: [e('movie:tmdb:2', '20')], removedTokens: ['movie:imdb:tt1'] });
    assert.deepEqual(stored, copy);
  });

  it('laws: one entry per token; every seen entry holds; removed tokens go unless seen; the rest stays', () => {
    const token = fc.constantFrom<string>('a', 'b', 'c', 'd', 'e', 'f');
    const entry = fc.record({ kind: fc.constantFrom('movie', 'episode'), token, id: fc.constantFrom('1', '2', '3') });
    const entries = fc.uniqueArray(entry, { selector: (x) => x.token });
    fc.assert(
      fc.property(entries, fc.array(entry), fc.array(token), (before, seen, removed) => {
        const after = applyIndexUpdate(before, { ...META, entries: seen, removedTokens: removed });
        const byToken = new Map(after.map((x) => [x.token, x]));
        assert.equal(byToken.size, after.length, 'one entry per token');
        const lastSeen = new Map(seen.map((x) => [x.token, x]));
        for (const [t, x] of lastSeen) assert.deepEqual(byToken.get(t), x);
        for (const x of before) {
          if (lastSeen.has(x.token)) continue;
          if (removed.includes(x.token)) assert.equal(byToken.has(x.token), false);
          else assert.deepEqual(byToken.get(x.token), x);
        }
        for (const x of after) assert.ok(lastSeen.has(x.token) || before.some((b) => b.token === x.token));
      }),
    );
  });
});
