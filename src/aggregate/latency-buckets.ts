// Latency buckets: powers of two, each split into 4 linear sub-buckets, so a bucket's upper
// bound is at most 25% above its lower bound. Values 0-3 ns have a bucket each; from 4 ns,
// value v with e = floor(log2 v) falls in bucket 4 + 4 * (e - 2) + the two bits below v's
// top bit, up to 2^40 ns (18 minutes); longer values count in the last bucket.
// Percentiles read from these buckets are within the 25% resolution. The in-kernel
// aggregation computes exactly this index (bpf/syscall_event.h, LATENCY_BUCKETS).
import { LATENCY_BUCKETS, LATENCY_SUB_BUCKET_BITS } from '../generated/kernel-constants';

export const SUB_BUCKET_BITS = LATENCY_SUB_BUCKET_BITS;
const SUB_BUCKETS = 1 << SUB_BUCKET_BITS;
export const BUCKET_COUNT = LATENCY_BUCKETS;
export const BUCKET_RESOLUTION = 'log2 buckets with 4 linear sub-buckets: values within 25%';

const TWO_32 = 2 ** 32;

/** floor(log2(v)) for a positive integer v below 2^53. */
function log2Floor(v: number): number {
  return v >= TWO_32 ? 63 - Math.clz32(Math.floor(v / TWO_32)) : 31 - Math.clz32(v);
}

export function bucketOf(ns: number): number {
  if (ns < SUB_BUCKETS) return Math.max(0, Math.floor(ns));
  const e = log2Floor(ns);
  const sub = Math.floor(ns / 2 ** (e - SUB_BUCKET_BITS)) & (SUB_BUCKETS - 1);
  return Math.min(BUCKET_COUNT - 1, SUB_BUCKETS + (e - SUB_BUCKET_BITS) * SUB_BUCKETS + sub);
}

/** [lower, upper) bounds of a bucket, in ns. */
export function bucketBounds(index: number): [number, number] {
  if (index < SUB_BUCKETS) return [index, index + 1];
  const e = Math.floor((index - SUB_BUCKETS) / SUB_BUCKETS) + SUB_BUCKET_BITS;
  const sub = (index - SUB_BUCKETS) % SUB_BUCKETS;
  const unit = 2 ** (e - SUB_BUCKET_BITS);
  return [(SUB_BUCKETS + sub) * unit, (SUB_BUCKETS + sub + 1) * unit];
}

/**
 * The p-th percentile (0 < p <= 100) of a histogram: the middle of the bucket holding it,
 * kept within the exact [min, max] seen; the largest sample is the max itself.
 */
export function percentile(counts: ArrayLike<number>, total: number, p: number, min: number, max: number): number {
  if (total === 0) return 0;
  const rank = Math.ceil((p / 100) * total);
  if (rank >= total) return max;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i];
    if (seen >= rank) {
      const [lower, upper] = bucketBounds(i);
      return Math.min(max, Math.max(min, (lower + upper) / 2));
    }
  }
  return max;
}
