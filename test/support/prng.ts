/** mulberry32: a small seeded PRNG, so a failing random run can be replayed from its printed seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A crash test's random source: seeded from LOGSHIP_CRASH_SEED (to replay a failed run) or the clock, the seed handed to `note`. */
export function crashRandom(note: (line: string) => void): { seed: number; rand: () => number } {
  const seed = Number(process.env.LOGSHIP_CRASH_SEED ?? Date.now() % 1_000_000);
  note(`crash seed ${seed}`);
  return { seed, rand: prng(seed) };
}
