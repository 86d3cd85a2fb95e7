/** Workers of one scan build each prefilter once: the first to claim a group builds, the others wait for it. */
import { describe, expect, it } from 'vitest';
import type { PrefilterData } from '../detect/index.ts';
import { exchangeInit, PrefilterExchange } from './prefilter-exchange.ts';

const data = (size: number): PrefilterData => ({ size, always: [0], eq: [], sub: [] });

describe('PrefilterExchange', () => {
  it('lets the first claimer build and hands its prefilter to the others', () => {
    const init = exchangeInit(`test-${Math.random()}`);
    const seen: string[] = [];
    const a = new PrefilterExchange(init, () => undefined);
    const b = new PrefilterExchange(init, (route) => seen.push(route));
    try {
      expect(a.await('windows/process_creation', 3)).toBeUndefined();
      a.built('windows/process_creation', data(7), 3);
      expect(b.await('windows/process_creation', 3)).toEqual(data(7));
      expect(seen).toEqual(['windows/process_creation']);
      // Another group is still free: whoever asks first builds it.
      expect(b.await('windows/security', 4)).toBeUndefined();
    } finally {
      a.close();
      b.close();
    }
  });

  it('gives up waiting for a builder that never delivers, so the waiter builds it itself', () => {
    const init = exchangeInit(`test-${Math.random()}`);
    const a = new PrefilterExchange(init, () => undefined);
    const b = new PrefilterExchange(init, () => undefined, 30);
    try {
      expect(a.await('windows/security', 0)).toBeUndefined();
      const started = performance.now();
      expect(b.await('windows/security', 0)).toBeUndefined();
      expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    } finally {
      a.close();
      b.close();
    }
  });

  it('keeps scans apart: another channel never sees the prefilter', () => {
    const a = new PrefilterExchange(exchangeInit(`test-${Math.random()}`), () => undefined);
    const other = exchangeInit(`test-${Math.random()}`);
    const b = new PrefilterExchange(other, () => undefined, 20);
    try {
      expect(a.await('r', 0)).toBeUndefined();
      a.built('r', data(5), 0);
      // b's own claim table is free: it builds rather than waiting on a's.
      expect(b.await('r', 0)).toBeUndefined();
      expect(b.received.size).toBe(0);
    } finally {
      a.close();
      b.close();
    }
  });
});
