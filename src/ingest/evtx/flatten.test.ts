/** Event time from the TimeCreated text. */
import { describe, expect, it } from 'vitest';
import { timeMs } from './flatten.ts';

describe('timeMs', () => {
  it('reads the reader’s own ISO shape and anything Date.parse reads', () => {
    expect(timeMs('2025-11-27T07:40:10.165324Z')).toBe(Date.UTC(2025, 10, 27, 7, 40, 10, 165));
    expect(timeMs('1601-01-01T00:00:00.000000Z')).toBe(-11644473600000);
    expect(timeMs('0099-01-01T00:00:00.000000Z')).toBe(Date.parse('0099-01-01T00:00:00.000Z'));
    expect(timeMs('2021-11-19T16:52:33.833733500Z')).toBe(Date.UTC(2021, 10, 19, 16, 52, 33, 833));
    expect(timeMs('not a time')).toBeNaN();
    expect(timeMs(undefined)).toBeNaN();
    expect(timeMs(42)).toBeNaN();
  });
});
