// Paging a listing: pages come out in order, a few are fetched ahead of the consumer, never the
// whole listing (a 100 000-item index scan must not pile up pages a slow consumer has not taken).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pagesInOrder } from '../../src/providers/paging.ts';

const PAGE = 10;
const TOTAL = 100;

/** A server answering pages of numbers; each answer waits until released. */
function server() {
  const asked: number[] = [];
  const waiting: (() => void)[] = [];
  const fetch = (start: number) => {
    asked.push(start);
    return new Promise<{ rows: number[]; total: number }>((done) =>
      waiting.push(() => done({ rows: Array.from({ length: Math.min(PAGE, TOTAL - start) }, (_, i) => start + i), total: TOTAL })),
    );
  };
  const releaseAll = () => {
    for (const release of waiting.splice(0)) release();
  };
  return { fetch, asked, releaseAll };
}

const tick = () => new Promise((done) => setImmediate(done));

test('pages come out in order while a few are fetched at once, and no more than a few ahead of the consumer', async () => {
  const s = server();
  const pages = pagesInOrder(s.fetch, PAGE, String);
  const first = pages.next();
  await tick();
  s.releaseAll();
  assert.deepEqual((await first).value?.rows.slice(0, 2), [0, 1]);
  // The consumer has taken page 1 only: the next pages are asked for several at once, but not all.
  const second = pages.next();
  for (let i = 0; i < 5; i++) {
    await tick();
    s.releaseAll();
  }
  await second;
  const ahead = s.asked.length;
  assert.ok(ahead > 2, `pages are fetched concurrently (${ahead} asked)`);
  assert.ok(ahead <= 5, `only a few pages ahead of the consumer, not all ${TOTAL / PAGE} (${ahead} asked)`);
  const starts = [0, 10];
  for (let r = await pages.next(); !r.done; r = await pages.next()) {
    starts.push(r.value.rows[0] as number);
    s.releaseAll();
    await tick();
    s.releaseAll();
  }
  assert.deepEqual(starts, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
});
