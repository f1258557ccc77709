// Timestamps and durations pinned shape by shape: every accepted ISO form, every bound of a
// field, every malformed string we must refuse rather than misread.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatDuration, toEpochMs } from '../../src/core/time.ts';

const T = Date.UTC(2026, 7, 4, 16, 39, 44); // 2026-08-04T16:39:44Z
const DAY = Date.UTC(2026, 7, 4);

describe('toEpochMs: accepted shapes', () => {
  const rows: [string, unknown, number][] = [
    ['lowercase t and z', '2026-08-04t16:39:44z', T],
    ['space before the zone', '2026-08-04T16:39:44 Z', T],
    ['space before an offset', '2026-08-04T18:39:44 +02:00', T],
    ['a comma before the fraction', '2026-08-04T16:39:44,925Z', T + 925],
    ['one fraction digit', '2026-08-04T16:39:44.9Z', T + 900],
    ['two fraction digits', '2026-08-04T16:39:44.92Z', T + 920],
    ['without seconds, with a zone', '2026-08-04T16:39Z', T - 44_000],
    ['a date with a zone', '2026-08-04Z', DAY],
    ['a date with an offset', '2026-08-04+01:00', DAY - 3_600_000],
    ['half-hour offset with a colon', '2026-08-04T22:09:44+05:30', T],
    ['half-hour offset without a colon', '2026-08-04T22:09:44+0530', T],
    ['negative half-hour offset', '2026-08-04T13:09:44-03:30', T],
    ['offset 23:59 is the largest', '2026-08-05T16:38:44+23:59', T],
    ['zone Z wins over nothing else', '2026-08-04T16:39:44.000Z', T],
    ['first month, first day', '2026-01-01T00:00:00Z', Date.UTC(2026, 0, 1)],
    ['last month, last day, last second', '2026-12-31T23:59:59Z', Date.UTC(2026, 11, 31, 23, 59, 59)],
    ['29 February of a leap year', '2028-02-29', Date.UTC(2028, 1, 29)],
    ['surrounding whitespace', '  2026-08-04T16:39:44Z\n', T],
    ['a digit string with a fraction of a second', '1785861584.4', 1_785_861_584_400],
    ['epoch seconds round to the nearest ms', 1_785_861_584.0006, 1_785_861_584_001],
    ['epoch ms round to the nearest ms', 1_785_861_584_000.6, 1_785_861_584_001],
    ['one second after the epoch', 1, 1000],
    ['one ms after the epoch, as a Date', new Date(1), 1],
  ];
  for (const [name, value, want] of rows) {
    it(name, () => assert.equal(toEpochMs(value), want));
  }
});

describe('toEpochMs: refused shapes', () => {
  const rows: [string, unknown][] = [
    ['text after the zone', '2026-08-04T16:39:44Zjunk'],
    ['text before the date', 'x2026-08-04'],
    ['a two-digit year', '26-08-04'],
    ['a one-digit month', '2026-8-04'],
    ['a one-digit day', '2026-08-4'],
    ['a one-digit hour', '2026-08-04T1:39'],
    ['an hour without minutes', '2026-08-04T16'],
    ['a fraction without digits', '2026-08-04T16:39:44.Z'],
    ['another separator', '2026-08-04X16:39'],
    ['a one-digit offset', '2026-08-04T16:39:44+2'],
    ['a three-digit offset', '2026-08-04T16:39:44+020'],
    ['month 0', '2026-00-10'],
    ['month 13', '2026-13-10'],
    ['day 0', '2026-08-00'],
    ['day 32', '2026-08-32'],
    ['31 April', '2026-04-31'],
    ['29 February of a common year', '2026-02-29'],
    ['hour 24', '2026-08-04T24:00:00Z'],
    ['minute 60', '2026-08-04T16:60:00Z'],
    ['second 60', '2026-08-04T16:39:60Z'],
    ['offset hour 24', '2026-08-04T16:39:44+24:00'],
    ['offset minute 60', '2026-08-04T16:39:44+02:60'],
    // Date.UTC reads years 0..99 as 1900..1999; the year written is the year meant.
    ['year 0099 is not 1999', '0099-01-01'],
    ['year 0070 is not 1970', '0070-06-01T00:00:00Z'],
    ['the epoch as ISO', '1970-01-01T00:00:00Z'],
    ['before the epoch', '1969-12-31T23:59:59Z'],
    ['the epoch as a Date', new Date(0)],
    ['before the epoch as a Date', new Date(-1)],
    ['a negative digit string', '-1700000000'],
    ['a digit string with two points', '1700000000.5.5'],
    ['a number of ms rounding to 0', 0.0004],
    ['negative infinity', Number.NEGATIVE_INFINITY],
    ['a bigint', 1_700_000_000n],
    ['an array', [1_700_000_000]],
  ];
  for (const [name, value] of rows) {
    it(name, () => assert.equal(toEpochMs(value), undefined));
  }
});

describe('toEpochMs: laws', () => {
  const instant = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2100, 0, 1) });
  it('an ISO string from Date reads back as its instant', () => {
    fc.assert(fc.property(instant, (t) => toEpochMs(new Date(t).toISOString()) === t));
  });
  it('a naive ISO string reads as UTC', () => {
    fc.assert(fc.property(instant, (t) => toEpochMs(new Date(t).toISOString().slice(0, -1)) === t));
  });
  it('any offset names the same instant', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }), (t, offsetMin) => {
        const local = new Date(t + offsetMin * 60_000).toISOString().slice(0, 19);
        const abs = Math.abs(offsetMin);
        const hh = String(Math.floor(abs / 60)).padStart(2, '0');
        const mm = String(abs % 60).padStart(2, '0');
        const zone = `${offsetMin < 0 ? '-' : '+'}${hh}:${mm}`;
        return toEpochMs(local + zone) === t - (t % 1000);
      }),
    );
  });
  it('epoch seconds, epoch ms and their digit strings agree', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 99_999_999 }), (seconds) => {
        const t = seconds * 1000;
        return toEpochMs(seconds) === t && toEpochMs(String(seconds)) === t && toEpochMs(t + 1e11) === t + 1e11;
      }),
    );
  });
});

describe('formatDuration', () => {
  const rows: [number, string][] = [
    [0, '0:00'],
    [999, '0:00'],
    [1000, '0:01'],
    [10_000, '0:10'],
    [59_000, '0:59'],
    [60_000, '1:00'],
    [61_000, '1:01'],
    [600_000, '10:00'],
    [3_599_999, '59:59'],
    [3_600_000, '1:00:00'],
    [3_661_000, '1:01:01'],
    [3_600_000 + 10 * 60_000 + 10_000, '1:10:10'],
    [100 * 3_600_000, '100:00:00'],
    [-1000, '-0:01'],
    [-3_723_000, '-1:02:03'],
    [-999, '-0:00'],
    [Number.POSITIVE_INFINITY, '?'],
    [Number.NEGATIVE_INFINITY, '?'],
  ];
  for (const [value, want] of rows) {
    it(`${value} ms`, () => assert.equal(formatDuration(value), want));
  }
});
