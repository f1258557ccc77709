import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, toEpochMs } from '../../src/core/time.ts';

const T = Date.UTC(2026, 7, 4, 16, 39, 44); // 2026-08-04T16:39:44Z

describe('toEpochMs', () => {
  it('reads numbers below 1e11 as epoch seconds', () => {
    assert.equal(toEpochMs(T / 1000), T);
    assert.equal(toEpochMs(1_700_000_000.5), 1_700_000_000_500);
    assert.equal(toEpochMs(99_999_999_999), 99_999_999_999_000);
  });

  it('reads numbers from 1e11 up as epoch ms', () => {
    assert.equal(toEpochMs(T), T);
    assert.equal(toEpochMs(100_000_000_000), 100_000_000_000);
  });

  it('applies the same rule to digit strings', () => {
    assert.equal(toEpochMs(String(T / 1000)), T);
    assert.equal(toEpochMs(` ${T} `), T);
    assert.equal(toEpochMs('1700000000.25'), 1_700_000_000_250);
  });

  it('reads ISO strings with Z or an offset', () => {
    assert.equal(toEpochMs('2026-08-04T16:39:44Z'), T);
    assert.equal(toEpochMs('2026-08-04T16:39:44.925Z'), T + 925);
    assert.equal(toEpochMs('2026-08-04 16:39:44.925Z'), T + 925);
    assert.equal(toEpochMs('2026-08-04T18:39:44+02:00'), T);
    assert.equal(toEpochMs('2026-08-04T18:39:44+0200'), T);
    assert.equal(toEpochMs('2026-08-04T11:39:44-05'), T);
  });

  it('reads naive ISO strings as UTC, never local time', () => {
    assert.equal(toEpochMs('2026-08-04T16:39:44'), T);
    assert.equal(toEpochMs('2026-08-04 16:39'), T - 44_000);
    assert.equal(toEpochMs('2026-08-04'), Date.UTC(2026, 7, 4));
  });

  it('cuts .NET seven-digit fractions to milliseconds', () => {
    assert.equal(toEpochMs('2026-08-04T16:39:44.1234567Z'), T + 123);
    assert.equal(toEpochMs('2026-08-04T16:39:44.5Z'), T + 500);
  });

  it('accepts Date objects', () => {
    assert.equal(toEpochMs(new Date(T)), T);
  });

  it('rejects invalid input', () => {
    for (const bad of [
      undefined,
      null,
      true,
      '',
      '  ',
      'yesterday',
      '2026-02-30T00:00:00Z',
      '2026-13-01',
      '2026-08-04T25:00:00Z',
      '2026-08-04T16:39:44+25:00',
      Number.NaN,
      Number.POSITIVE_INFINITY,
      0,
      -5,
      '0',
      '0001-01-01T00:00:00.0000000Z',
      new Date(Number.NaN),
      {},
    ]) {
      assert.equal(toEpochMs(bad), undefined, `value ${String(bad)}`);
    }
  });
});

describe('formatDuration', () => {
  it('formats hours as h:mm:ss and shorter as m:ss', () => {
    assert.equal(formatDuration(3_723_000), '1:02:03');
    assert.equal(formatDuration(2_530_000), '42:10');
    assert.equal(formatDuration(5_000), '0:05');
    assert.equal(formatDuration(0), '0:00');
    assert.equal(formatDuration(36_000_000), '10:00:00');
  });

  it('drops fractions, signs negatives, and marks non-numbers', () => {
    assert.equal(formatDuration(59_999), '0:59');
    assert.equal(formatDuration(-65_000), '-1:05');
    assert.equal(formatDuration(Number.NaN), '?');
  });
});
