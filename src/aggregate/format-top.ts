// --top: the busiest syscalls and processes of one interval, for a live view of a host
// that is slow right now (calls/s, errors/s, p99).
import type { AggregateRow } from '../wire/batch-decoder';
import { BUCKET_COUNT, percentile } from './latency-buckets';
import { RowsProgramName } from '../track/program-name';
import { syscallName } from '../syscalls/syscall-table';

interface Totals {
  calls: number;
  errors: number;
  minNs: number;
  maxNs: number;
  buckets: Float64Array;
  busiestNr?: number;
  busiestCalls?: number;
}

function add(totals: Map<number, Totals>, key: number, row: AggregateRow): Totals {
  let t = totals.get(key);
  if (!t) {
    t = { calls: 0, errors: 0, minNs: Infinity, maxNs: 0, buckets: new Float64Array(BUCKET_COUNT) };
    totals.set(key, t);
  }
  t.calls += row.calls ?? 0;
  t.errors += row.errors ?? 0;
  t.minNs = Math.min(t.minNs, row.minNs ?? 0);
  t.maxNs = Math.max(t.maxNs, row.maxNs ?? 0);
  (row.bucket ?? []).forEach((b, i) => (t!.buckets[b] += (row.bucketCount ?? [])[i]));
  return t;
}

function p99(t: Totals): string {
  const ns = percentile(t.buckets, t.calls, 99, t.minNs, t.maxNs);
  return ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(1)} us` : `${Math.round(ns)} ns`;
}

const rate = (n: number, seconds: number): string => (n / seconds).toFixed(1);

/** Lines of the view besides the two tables' rows: the header, blank lines, column titles. */
const FIXED_LINES = 5;

/**
 * The view fitted to a terminal of `size`: each table's rows cut so that the view has fewer
 * lines than the terminal (a last line ending in a newline would scroll it), each line cut
 * to its width (a wrapped line would take two).
 */
export function fitTerminal(view: (shown: number) => string[], shown: number, size: { rows: number; columns: number }): string[] {
  const perTable = Math.max(1, Math.min(shown, Math.floor((size.rows - 1 - FIXED_LINES) / 2)));
  return view(perTable).slice(0, Math.max(1, size.rows - 1)).map((line) => line.slice(0, size.columns));
}

/** The view of one interval's rows (grouped by process): `rows` lines per table. */
export function formatTop(rows: readonly AggregateRow[], seconds: number, shown: number): string[] {
  const bySyscall = new Map<number, Totals>();
  const byProcess = new Map<number, Totals>();
  const names = new Map<number, RowsProgramName>();
  for (const row of rows) {
    add(bySyscall, row.nr ?? 0, row);
    const p = add(byProcess, row.group ?? 0, row);
    let name = names.get(row.group ?? 0);
    if (!name) names.set(row.group ?? 0, (name = new RowsProgramName()));
    name.noteRow(row.comm ?? '?');
    if ((row.calls ?? 0) > (p.busiestCalls ?? 0)) {
      p.busiestCalls = row.calls ?? 0;
      p.busiestNr = row.nr ?? 0;
    }
  }
  const all = [...bySyscall.values()].reduce((a, t) => ({ calls: a.calls + t.calls, errors: a.errors + t.errors }), { calls: 0, errors: 0 });
  const busiest = (m: Map<number, Totals>) => [...m.entries()].sort((a, b) => b[1].calls - a[1].calls).slice(0, shown);
  const lines = [
    `bpftrace-ts --top  ${new Date().toLocaleTimeString()}  over ${seconds.toFixed(2)} s: ` +
      `${rate(all.calls, seconds)} calls/s, ${rate(all.errors, seconds)} errors/s (p99 within 25%)`,
    '',
    `  ${'SYSCALL'.padEnd(20)} ${'CALLS/S'.padStart(12)} ${'ERRORS/S'.padStart(10)} ${'P99'.padStart(10)}`,
  ];
  for (const [nr, t] of busiest(bySyscall))
    lines.push(`  ${syscallName(nr).padEnd(20)} ${rate(t.calls, seconds).padStart(12)} ${rate(t.errors, seconds).padStart(10)} ${p99(t).padStart(10)}`);
  lines.push('', `  ${'PROCESS'.padEnd(16)} ${'PID'.padStart(7)} ${'CALLS/S'.padStart(12)} ${'ERRORS/S'.padStart(10)} ${'P99'.padStart(10)}  BUSIEST SYSCALL`);
  for (const [pid, t] of busiest(byProcess))
    lines.push(`  ${(names.get(pid)?.name ?? '?').padEnd(16)} ${String(pid).padStart(7)} ${rate(t.calls, seconds).padStart(12)} ` +
      `${rate(t.errors, seconds).padStart(10)} ${p99(t).padStart(10)}  ${syscallName(t.busiestNr ?? 0)}`);
  return lines;
}
