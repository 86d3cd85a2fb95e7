import { describe, expect, it } from 'vitest';
import { EvalCtx } from './event-context.ts';

describe('EvalCtx', () => {
  it('lowercases each value once per event and resets between events', () => {
    const ctx = new EvalCtx();
    const a = ctx.slot('A');
    ctx.reset({ A: 'XyZ', B: ['Q', null, 3] });
    expect(ctx.low(a, 'A')).toBe('xyz');
    expect(ctx.low(ctx.slot('B'), 'B')).toEqual(['q', null, '3']);
    ctx.reset({ A: 'Other' });
    expect(ctx.low(a, 'A')).toBe('other');
    expect(ctx.low(ctx.slot('B'), 'B')).toBeUndefined();
  });

  it('stops giving slots to new names past its limit but still answers', () => {
    const ctx = new EvalCtx();
    for (let i = 0; i < 5000; i++) ctx.slot(`f${i}`);
    expect(ctx.slot('late')).toBe(-1);
    ctx.reset({ late: 'ABC' });
    expect(ctx.low(-1, 'late')).toBe('abc');
  });
});
