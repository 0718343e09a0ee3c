// Latency histograms of streamed calls, counted in TypeScript the way the kernel counts
// them for --hist (same buckets, same grouping), as rows format-hist renders: for
// `report --hist` of a recording of streamed calls, and for the HTML report.
import type { AggregateRow } from '../wire/batch-decoder';
import type { SyscallCall } from '../pair/call-pairer';
import type { HistBy } from './format-hist';
import { BUCKET_COUNT, bucketOf } from './latency-buckets';
import { errnoOf } from '../syscalls/raw-args';
import { AGGREGATE_MAX_ROWS } from '../generated/kernel-constants';

/** Rows at most, as the kernel's hash table (bpf/syscall_event.h): calls past it are not counted. */
const MAX_ROWS = AGGREGATE_MAX_ROWS;

interface Row {
  group: number;
  nr: number;
  comm: string;
  calls: number;
  errors: number;
  totalNs: number;
  minNs: number;
  maxNs: number;
  buckets: Uint32Array;
}

export class CallHistograms {
  private readonly table = new Map<string, Row>();
  /** Calls that found the table full. */
  uncounted = 0;

  constructor(private readonly by: HistBy) {}

  /** Counts a call that returned with a duration; others have no latency. The call is not kept. */
  add(call: SyscallCall): void {
    if (call.state !== 'returned' || call.durNs === null || call.ret === null) return;
    const group = this.by === 'pid' ? call.pid : 0;
    const key = this.by === 'comm' ? `${call.comm}/${call.nr}` : `${group}/${call.nr}`;
    let row = this.table.get(key);
    if (!row) {
      if (this.table.size >= MAX_ROWS) {
        this.uncounted++;
        return;
      }
      row = { group, nr: call.nr, comm: call.comm, calls: 0, errors: 0, totalNs: 0, minNs: Infinity, maxNs: 0, buckets: new Uint32Array(BUCKET_COUNT) };
      this.table.set(key, row);
    }
    row.calls++;
    if (errnoOf(call.nr, call.ret) !== null) row.errors++;
    row.totalNs += call.durNs;
    row.minNs = Math.min(row.minNs, call.durNs);
    row.maxNs = Math.max(row.maxNs, call.durNs);
    row.buckets[bucketOf(call.durNs)]++;
  }

  /** The rows in the kernel's form: non-empty buckets and their counts. */
  rows(): AggregateRow[] {
    return [...this.table.values()].map((row) => {
      const bucket: number[] = [];
      const bucketCount: number[] = [];
      row.buckets.forEach((count, b) => {
        if (count === 0) return;
        bucket.push(b);
        bucketCount.push(count);
      });
      const { group, nr, comm, calls, errors, totalNs, minNs, maxNs } = row;
      return { group, nr, comm, calls, errors, totalNs, minNs, maxNs, bucket, bucketCount };
    });
  }
}
