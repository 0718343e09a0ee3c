// The latency histograms of -S, --summary-only and --hist (aggregate/latency-buckets,
// aggregate/format-hist): bucket bounds, percentiles from bucket counts, and the rows of --hist.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { bucketOf, bucketBounds, percentile, BUCKET_COUNT } = require('../../dist/aggregate/latency-buckets');

test('buckets: contiguous, ordered, and no wider than 25% of their lower bound', () => {
  let previousUpper = 0;
  for (let i = 0; i < BUCKET_COUNT - 1; i++) {
    const [lower, upper] = bucketBounds(i);
    assert.is(lower, previousUpper, `bucket ${i} starts where ${i - 1} ends`);
    assert.ok(i < 4 || (upper - lower) / lower <= 0.25, `bucket ${i} resolution`);
    assert.is(bucketOf(lower), i);
    assert.is(bucketOf(upper - 1), i);
    previousUpper = upper;
  }
  assert.is(bucketOf(2 ** 45), BUCKET_COUNT - 1, 'past 2^40 ns: the last bucket');
  assert.is(BUCKET_COUNT, require('../../dist/session/native-addon').loadAddon().latencyBuckets, 'the kernel counts as many');
  assert.is(bucketOf(1_000_000), bucketOf(1_048_575), '1 ms and 1.048575 ms share a bucket');
  assert.is.not(bucketOf(10_000_000), bucketOf(1_000_000));
});

test('percentiles: the middle of the bucket holding the rank, within the seen range', () => {
  const counts = new Uint32Array(BUCKET_COUNT);
  counts[bucketOf(1_000_000)] = 99;
  counts[bucketOf(10_000_000)] = 1;
  const p50 = percentile(counts, 100, 50, 1_000_000, 10_000_000);
  assert.ok(Math.abs(p50 - 1_000_000) / 1_000_000 <= 0.25);
  assert.is(percentile(counts, 100, 100, 1_000_000, 10_000_000), 10_000_000, 'clamped to the max');
});

test('--hist rows: the bars start in one column, whichever row has the widest label', () => {
  const { formatHistograms } = require('../../dist/aggregate/format-hist');
  // Rows [128K, 256K) (the widest label) up to [2M, 4M).
  const buckets = [150_000, 300_000, 3_000_000].map(bucketOf);
  const lines = formatHistograms([{ nr: 0, calls: 3, errors: 0, totalNs: 3_450_000, minNs: 150_000, maxNs: 3_000_000,
    bucket: buckets, bucketCount: [1, 1, 1] }], 'syscall', 10);
  const bars = lines.filter((line) => line.startsWith('['));
  assert.equal(bars.map((line) => line.slice(0, line.indexOf(' ')))[0], '[128K,');
  assert.is(bars.length, 5);
  assert.equal(new Set(bars.map((line) => line.indexOf('|'))).size, 1, bars.join('\n'));
});

test.run();
