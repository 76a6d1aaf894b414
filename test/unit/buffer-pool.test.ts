import { describe, expect, it } from 'vitest';
import { BufferPool } from '../../src/util/buffer-pool.js';

/** Buffers of `sizes` taken from `pool`, then given back in that order. */
function givenBack(pool: BufferPool, ...sizes: number[]): Buffer[] {
  const taken = sizes.map((n) => pool.take(n));
  for (const b of taken) pool.give(b);
  return taken;
}

describe('BufferPool', () => {
  it('gives buffers of exactly the size asked, and reuses one given back for a size that fits', () => {
    const pool = new BufferPool(2, 1024 * 1024);
    const a = pool.take(1000);
    expect(a.length).toBe(1000);
    a.fill(7);
    pool.give(a);
    const b = pool.take(900);
    expect(b.length).toBe(900);
    expect(b.buffer).toBe(a.buffer);
    // A second take while the first is out gets other memory.
    const c = pool.take(900);
    expect(c.buffer).not.toBe(b.buffer);
  });

  it('clear() lets go of every buffer it kept', () => {
    const pool = new BufferPool(2, 1024 * 1024);
    const [a, b] = givenBack(pool, 1000, 2000);
    pool.clear();
    const c = pool.take(500);
    expect(c.buffer).not.toBe(a!.buffer);
    expect(c.buffer).not.toBe(b!.buffer);
  });

  it('picks the smallest buffer that fits, and allocates when none does', () => {
    const pool = new BufferPool(3, 1024 * 1024);
    const [small, large] = givenBack(pool, 100_000, 500_000);
    expect(pool.take(90_000).buffer).toBe(small.buffer);
    expect(pool.take(700_000).buffer).not.toBe(large.buffer);
    expect(pool.take(400_000).buffer).toBe(large.buffer);
  });

  it('keeps neither buffers above maxBytes nor more than `keep`, and prefers the larger ones', () => {
    const pool = new BufferPool(1, 256 * 1024);
    const huge = pool.take(1024 * 1024);
    expect(huge.length).toBe(1024 * 1024);
    pool.give(huge);
    expect(pool.take(1024).buffer).not.toBe(huge.buffer);

    const [small, big] = givenBack(pool, 10_000, 200_000);
    expect(pool.take(5_000).buffer).toBe(big.buffer);
    expect(pool.take(5_000).buffer).not.toBe(small.buffer);
  });

  it('ignores a buffer given back twice: two takers never share memory', () => {
    const pool = new BufferPool(4, 1024 * 1024);
    const a = pool.take(4096);
    pool.give(a);
    pool.give(a);
    const x = pool.take(4096);
    const y = pool.take(4096);
    expect(x.buffer).not.toBe(y.buffer);
  });
});
