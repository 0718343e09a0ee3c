// -S: per process (or thread, or overall) tables of every syscall's count, errors and
// latency, computed from the paired calls, in the layout of perf trace -s.
import type { AggregateRow } from '../wire/batch-decoder';
import type { SyscallCall } from '../pair/call-pairer';
import { BUCKET_COUNT, BUCKET_RESOLUTION, bucketBounds, bucketOf, percentile } from './latency-buckets';
import { ProgramName, RowsProgramName } from '../track/program-name';
import { errnoOf } from '../syscalls/raw-args';
import { syscallName } from '../syscalls/syscall-table';

export type SummaryBy = 'process' | 'thread' | 'none';

/** Latency statistics of one syscall in one group. */
export class SyscallStats {
  calls = 0;
  errors = 0;
  totalNs = 0;
  minNs = Infinity;
  maxNs = 0;
  readonly buckets = new Uint32Array(BUCKET_COUNT);
  /** Welford's running mean and sum of squared deviations, when every call was seen. */
  private exact: { mean: number; m2: number } | null = { mean: 0, m2: 0 };

  add(durNs: number, failed: boolean): void {
    this.calls++;
    if (failed) this.errors++;
    this.totalNs += durNs;
    if (durNs < this.minNs) this.minNs = durNs;
    if (durNs > this.maxNs) this.maxNs = durNs;
    this.buckets[bucketOf(durNs)]++;
    if (this.exact) {
      const delta = durNs - this.exact.mean;
      this.exact.mean += delta / this.calls;
      this.exact.m2 += delta * (durNs - this.exact.mean);
    }
  }

  /** Adds a row the kernel counted: its stddev can only come from the buckets. */
  addRow(row: AggregateRow): void {
    this.calls += row.calls ?? 0;
    this.errors += row.errors ?? 0;
    this.totalNs += row.totalNs ?? 0;
    this.minNs = Math.min(this.minNs, row.minNs ?? 0);
    this.maxNs = Math.max(this.maxNs, row.maxNs ?? 0);
    const buckets = row.bucket ?? [];
    const counts = row.bucketCount ?? [];
    for (let i = 0; i < buckets.length; i++) this.buckets[buckets[i]] += counts[i];
    this.exact = null;
  }

  /** perf trace's stddev column: the standard error of the mean, as a percentage of it. */
  relativeStddev(): number {
    if (this.calls < 2) return 0;
    const mean = this.totalNs / this.calls;
    if (mean === 0) return 0;
    let m2 = this.exact?.m2;
    if (m2 === undefined) {
      m2 = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        if (!this.buckets[i]) continue;
        const [lower, upper] = bucketBounds(i);
        const mid = Math.min(this.maxNs, Math.max(this.minNs, (lower + upper) / 2));
        m2 += this.buckets[i] * (mid - mean) ** 2;
      }
    }
    return (100 * Math.sqrt(m2 / (this.calls - 1) / this.calls)) / mean;
  }

  percentile(p: number): number {
    return percentile(this.buckets, this.calls, p, this.minNs, this.maxNs);
  }
}

interface Group {
  /** What the group is called: 'all traced processes', or its program (src/track/program-name.ts). */
  readonly name: { readonly name: string } | string;
  calls: number;
  readonly syscalls: Map<number, SyscallStats>;
}

const msec = (ns: number): string => (ns / 1e6).toFixed(3);

/** The table's columns: the syscall name left-aligned, the numbers right-aligned. */
const WIDTHS = [15, 8, 7, 9, 9, 9, 9, 9, 9, 9];
const HEADINGS = [
  ['syscall', 'calls', 'errors', 'total', 'min', 'avg', 'max', 'stddev', 'p50', 'p99'],
  ['', '', '', '(msec)', '(msec)', '(msec)', '(msec)', '(%)', '(msec)', '(msec)'],
];

/** A table row: the first cell left-aligned, the others right-aligned, in these widths. */
export function row(cells: string[], widths: readonly number[] = WIDTHS): string {
  return '   ' + cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join(' ').trimEnd();
}

export class SyscallSummary {
  private readonly groups = new Map<number, Group>();
  private totalCalls = 0;

  constructor(private readonly by: SummaryBy) {}

  /** Counts a call that returned (others have no duration, but name their program). The
   * call object is not kept. */
  add(call: SyscallCall): void {
    const key = this.groupKey(call.pid, call.tid);
    const name = this.groups.get(key)?.name ?? (this.by === 'none' ? undefined : this.newName(key, new ProgramName()));
    if (name instanceof ProgramName) name.noteCall(call.comm, this.by === 'thread' || call.tid === call.pid);
    if (call.state !== 'returned' || call.durNs === null || call.ret === null) return;
    this.statsFor(key, call.nr, 1).add(call.durNs, errnoOf(call.nr, call.ret) !== null);
  }

  /** Adds a row of the kernel's tables, grouped by tgid or tid as this summary is. */
  addRow(row: AggregateRow): void {
    const key = this.by === 'none' ? 0 : row.group ?? 0;
    const name = this.groups.get(key)?.name ?? (this.by === 'none' ? undefined : this.newName(key, new RowsProgramName()));
    if (name instanceof RowsProgramName) name.noteRow(row.comm ?? '?');
    this.statsFor(key, row.nr ?? 0, row.calls ?? 0).addRow(row);
  }

  /** A group for key named by name (a process or thread whose name follows its calls). */
  private newName<T extends ProgramName | RowsProgramName>(key: number, name: T): T {
    this.groups.set(key, { name, calls: 0, syscalls: new Map() });
    return name;
  }

  private groupKey(pid: number, tid: number): number {
    return this.by === 'process' ? pid : this.by === 'thread' ? tid : 0;
  }

  private statsFor(key: number, nr: number, calls: number): SyscallStats {
    let group = this.groups.get(key);
    if (!group) {
      group = { name: 'all traced processes', calls: 0, syscalls: new Map() };
      this.groups.set(key, group);
    }
    group.calls += calls;
    this.totalCalls += calls;
    let stats = group.syscalls.get(nr);
    if (!stats) {
      stats = new SyscallStats();
      group.syscalls.set(nr, stats);
    }
    return stats;
  }

  /** The tables, groups by number of calls, syscalls by total time. */
  render(): string[] {
    const lines = ['', ' Summary of syscalls (' + BUCKET_RESOLUTION + ' for p50 and p99):'];
    const groups = [...this.groups.entries()].filter(([, group]) => group.calls > 0).sort((a, b) => b[1].calls - a[1].calls);
    for (const [key, group] of groups) {
      const share = this.totalCalls ? (100 * group.calls) / this.totalCalls : 0;
      const label = typeof group.name === 'string' ? group.name : `${group.name.name} (${key})`;
      lines.push('', ` ${label}, ${group.calls} calls, ${share.toFixed(1)}%`, '');
      for (const heading of HEADINGS) lines.push(row(heading));
      lines.push(row(WIDTHS.map((width) => '-'.repeat(width))));
      const rows = [...group.syscalls.entries()].sort((a, b) => b[1].totalNs - a[1].totalNs);
      for (const [nr, s] of rows) {
        lines.push(row([
          syscallName(nr), String(s.calls), String(s.errors), msec(s.totalNs), msec(s.minNs), msec(s.totalNs / s.calls),
          msec(s.maxNs), s.relativeStddev().toFixed(2) + '%', msec(s.percentile(50)), msec(s.percentile(99)),
        ]));
      }
    }
    return lines;
  }
}
