// Per syscall: calls, errors by errno, and total/p50/p99 time in A and in B, sorted by
// what changed most (calls and errors first, then time), computed with -S's statistics.
import { errnoName } from '../syscalls/raw-args';
import { row as tableRow, SyscallStats } from '../aggregate/syscall-summary';
import { syscallName } from '../syscalls/syscall-table';
import type { TracedProcess } from './load-calls';

interface Side {
  stats: SyscallStats;
  errnos: Map<string, number>;
}

export interface SideNumbers {
  calls: number;
  errors: Record<string, number>;
  totalMs: number;
  p50Ms: number;
  p99Ms: number;
}

export interface SyscallChange {
  syscall: string;
  a: SideNumbers;
  b: SideNumbers;
}

function sideOf(map: Map<number, [Side, Side]>, nr: number, index: 0 | 1): Side {
  let sides = map.get(nr);
  if (!sides) {
    sides = [{ stats: new SyscallStats(), errnos: new Map() }, { stats: new SyscallStats(), errnos: new Map() }];
    map.set(nr, sides);
  }
  return sides[index];
}

function count(map: Map<number, [Side, Side]>, processes: TracedProcess[], index: 0 | 1): void {
  for (const process of processes) {
    for (const call of process.calls) {
      const side = sideOf(map, call.nr, index);
      if (call.durNs === null) {
        side.stats.calls++;
        continue;
      }
      side.stats.add(call.durNs, call.errno !== null);
      if (call.errno === null) continue;
      const name = errnoName(call.errno);
      side.errnos.set(name, (side.errnos.get(name) ?? 0) + 1);
    }
  }
}

const ms = (ns: number): number => Math.round(ns / 1e3) / 1e3;

function numbers(side: Side): SideNumbers {
  const s = side.stats;
  const timed = s.minNs !== Infinity;
  return {
    calls: s.calls, errors: Object.fromEntries([...side.errnos].sort()), totalMs: ms(s.totalNs),
    p50Ms: timed ? ms(s.percentile(50)) : 0, p99Ms: timed ? ms(s.percentile(99)) : 0,
  };
}

function errorChange(a: SideNumbers, b: SideNumbers): number {
  let change = 0;
  for (const name of new Set([...Object.keys(a.errors), ...Object.keys(b.errors)])) change += Math.abs((a.errors[name] ?? 0) - (b.errors[name] ?? 0));
  return change;
}

/** Whether the counts (not the times, which differ in every run) of a row differ. */
export function countsDiffer(change: SyscallChange): boolean {
  return change.a.calls !== change.b.calls || errorChange(change.a, change.b) > 0;
}

export function syscallChanges(as: TracedProcess[], bs: TracedProcess[]): SyscallChange[] {
  const map = new Map<number, [Side, Side]>();
  count(map, as, 0);
  count(map, bs, 1);
  const rows = [...map].map(([nr, [a, b]]) => ({ syscall: syscallName(nr), a: numbers(a), b: numbers(b) }));
  const weight = (r: SyscallChange): [number, number] =>
    [Math.abs(r.a.calls - r.b.calls) + errorChange(r.a, r.b), Math.abs(r.a.totalMs - r.b.totalMs)];
  return rows.sort((x, y) => {
    const [cx, tx] = weight(x);
    const [cy, ty] = weight(y);
    return cy - cx || ty - tx || x.syscall.localeCompare(y.syscall);
  });
}

const signed = (n: number, digits = 0): string => (n > 0 ? '+' : '') + n.toFixed(digits);
const errorsText = (errors: Record<string, number>): string =>
  Object.entries(errors).map(([name, n]) => `${n} ${name}`).join(',') || '0';

const WIDTHS = [15, 7, 7, 7, 14, 14, 9, 9, 9, 9, 9, 9];
const HEADINGS = ['syscall', 'calls A', 'calls B', 'change', 'errors A', 'errors B', 'total A', 'total B', 'p50 A', 'p50 B', 'p99 A', 'p99 B'];

const row = (cells: string[]): string => tableRow(cells, WIDTHS);

/** The table, times in msec. */
export function renderChanges(rows: SyscallChange[]): string[] {
  const lines = [row(HEADINGS), row(WIDTHS.map((w) => '-'.repeat(w)))];
  for (const r of rows) {
    lines.push(row([
      r.syscall, String(r.a.calls), String(r.b.calls), signed(r.b.calls - r.a.calls), errorsText(r.a.errors), errorsText(r.b.errors),
      r.a.totalMs.toFixed(3), r.b.totalMs.toFixed(3), r.a.p50Ms.toFixed(3), r.b.p50Ms.toFixed(3), r.a.p99Ms.toFixed(3), r.b.p99Ms.toFixed(3),
    ]));
  }
  return lines;
}
