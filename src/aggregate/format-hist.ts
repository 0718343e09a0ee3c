// --hist: a latency histogram per syscall (or per comm or process and syscall), as users
// know them from bpftrace and bcc, with percentiles from the fine buckets.
import type { AggregateRow } from '../wire/batch-decoder';
import { BUCKET_RESOLUTION, bucketBounds, percentile } from './latency-buckets';
import { syscallName } from '../syscalls/syscall-table';

export type HistBy = 'syscall' | 'comm' | 'pid';

const BAR_WIDTH = 52;
const UNITS: readonly [number, string][] = [[1e9, 's'], [1e6, 'ms'], [1e3, 'us'], [1, 'ns']];
const BINARY_SUFFIXES: readonly [number, string][] = [[2 ** 30, 'G'], [2 ** 20, 'M'], [2 ** 10, 'K']];

/** A power-of-two bound in ns as bpftrace writes it: 512, 1K, 16M. */
function bound(ns: number): string {
  for (const [scale, suffix] of BINARY_SUFFIXES) if (ns >= scale) return `${ns / scale}${suffix}`;
  return String(ns);
}

/** A latency with three significant digits: 12.3 us. */
function latency(ns: number): string {
  for (const [scale, unit] of UNITS) if (ns >= scale || scale === 1) return `${Number((ns / scale).toPrecision(3))} ${unit}`;
  return `${ns} ns`;
}

/** The display row of a fine bucket: [2^p, 2^(p+1)) as p + 1, and [0, 1) as 0. */
function powerRow(bucket: number): number {
  const [lower] = bucketBounds(bucket);
  return lower === 0 ? 0 : Math.floor(Math.log2(lower)) + 1;
}

function rowBounds(row: number): [number, number] {
  return row === 0 ? [0, 1] : [2 ** (row - 1), 2 ** row];
}

interface Histogram {
  title: string;
  calls: number;
  errors: number;
  totalNs: number;
  minNs: number;
  maxNs: number;
  fine: Map<number, number>;
}

function title(row: AggregateRow, by: HistBy): string {
  const name = syscallName(row.nr ?? 0);
  if (by === 'comm') return `${name} [${row.comm}]`;
  if (by === 'pid') return `${name} [${row.comm}/${row.group}]`;
  return name;
}

/** The histograms of one snapshot, the `top` largest by total time first. */
export function formatHistograms(rows: readonly AggregateRow[], by: HistBy, top: number): string[] {
  const histograms = new Map<string, Histogram>();
  for (const row of rows) {
    const key = title(row, by);
    let h = histograms.get(key);
    if (!h) {
      h = { title: key, calls: 0, errors: 0, totalNs: 0, minNs: Infinity, maxNs: 0, fine: new Map() };
      histograms.set(key, h);
    }
    h.calls += row.calls ?? 0;
    h.errors += row.errors ?? 0;
    h.totalNs += row.totalNs ?? 0;
    h.minNs = Math.min(h.minNs, row.minNs ?? 0);
    h.maxNs = Math.max(h.maxNs, row.maxNs ?? 0);
    (row.bucket ?? []).forEach((b, i) => h!.fine.set(b, (h!.fine.get(b) ?? 0) + (row.bucketCount ?? [])[i]));
  }
  const sorted = [...histograms.values()].sort((a, b) => b.totalNs - a.totalNs);
  const lines: string[] = [`Syscall latency in ns, K = 1024 (${BUCKET_RESOLUTION} for the percentiles)`];
  for (const h of sorted.slice(0, top)) {
    const counts = new Float64Array(Math.max(...h.fine.keys()) + 1);
    for (const [b, n] of h.fine) counts[b] = n;
    const p = (q: number): string => latency(percentile(counts, h.calls, q, h.minNs, h.maxNs));
    lines.push('', `@${h.title}: ${h.calls} calls, ${h.errors} errors, total ${latency(h.totalNs)}, ` +
      `p50 ${p(50)}, p90 ${p(90)}, p99 ${p(99)}, p99.9 ${p(99.9)}`);
    const perRow = new Map<number, number>();
    for (const [b, n] of h.fine) perRow.set(powerRow(b), (perRow.get(powerRow(b)) ?? 0) + n);
    const first = Math.min(...perRow.keys());
    const last = Math.max(...perRow.keys());
    const most = Math.max(...perRow.values());
    const label = (r: number): string => `[${bound(rowBounds(r)[0])}, ${bound(rowBounds(r)[1])})`;
    // The widest label is not always the last: [128K, 256K) against [2M, 4M).
    let width = 0;
    for (let r = first; r <= last; r++) width = Math.max(width, label(r).length);
    for (let r = first; r <= last; r++) {
      const n = perRow.get(r) ?? 0;
      const bar = '@'.repeat(Math.round((n / most) * BAR_WIDTH));
      lines.push(`${label(r).padEnd(width)} ${String(n).padStart(9)} |${bar.padEnd(BAR_WIDTH)}|`);
    }
  }
  if (sorted.length > top) lines.push('', `(${sorted.length - top} more, with less total time: --top N shows more)`);
  return lines;
}
