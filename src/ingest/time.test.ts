import { describe, expect, it } from 'vitest';
import { epochToMs, parseIsoTime, parseTimeValue } from './time.ts';

describe('time parsing', () => {
  it('reads ISO 8601 with zones, fractions and the space separator; no zone means UTC', () => {
    expect(parseIsoTime('2024-02-29T23:59:59.9999999Z')).toBe(
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
    );
    expect(parseIsoTime('2024-03-01T10:00:00+01:30')).toBe(Date.UTC(2024, 2, 1, 8, 30));
    expect(parseIsoTime('2024-03-01T10:00:00-0500')).toBe(Date.UTC(2024, 2, 1, 15));
    expect(parseIsoTime('2020-09-14 01:19:40')).toBe(Date.UTC(2020, 8, 14, 1, 19, 40));
    expect(parseIsoTime('2021-08-02T13:11:39,5Z')).toBe(Date.UTC(2021, 7, 2, 13, 11, 39, 500));
    expect(parseIsoTime('2024-01-02')).toBe(Date.UTC(2024, 0, 2));
    expect(parseIsoTime('Jul  7 10:51:24')).toBeNaN();
    expect(parseIsoTime('2024-01-02T03:04:05Zjunk')).toBeNaN();
  });

  it('tells epoch seconds, milliseconds and microseconds apart, truncating to the millisecond', () => {
    expect(epochToMs(1521911720.865716)).toBe(1521911720865);
    expect(epochToMs(1521911720.866)).toBe(1521911720866);
    expect(epochToMs(1700000000123)).toBe(1700000000123);
    expect(epochToMs(1700000000123456)).toBe(1700000000123);
    expect(epochToMs(Number.NaN)).toBeNaN();
  });

  it('accepts numbers, numeric text and ISO text, and nothing else', () => {
    expect(parseTimeValue(1.5)).toBe(1500);
    expect(parseTimeValue('1700000000')).toBe(1700000000000);
    expect(parseTimeValue('2024-01-02T00:00:00Z')).toBe(Date.UTC(2024, 0, 2));
    expect(parseTimeValue('')).toBeNaN();
    expect(parseTimeValue(null)).toBeNaN();
    expect(parseTimeValue('yesterday')).toBeNaN();
  });
});
