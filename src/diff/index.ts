// bpftrace-ts diff A B: how two recordings of the same program differ, per syscall and
// at the first call where each process took another path. Exit 0 when they agree, 1 when
// they differ, 2 on trouble (as diff(1)).
import { Command, Option } from 'commander';
import { UserError } from '../user-errors';
import { firstDivergence, unifiedHunk, type Divergence } from './divergence';
import { loadCalls, MAX_CALLS, type TracedProcess } from './load-calls';
import { matchProcesses, type ProcessPair } from './match-processes';
import { countsDiffer, renderChanges, syscallChanges, type SyscallChange } from './syscall-changes';

export const DIFF_TROUBLE = 2;

function diffProgram(): Command {
  return new Command()
    .name('bpftrace-ts diff')
    .usage('[options] <A> <B>')
    .description('Compare two recordings made by `bpftrace-ts record` of the same program: per syscall, and the first call where each process diverged.\n' +
      'Exit status 0 when they agree, 1 when they differ, 2 on trouble.')
    .addOption(new Option('--format <format>', 'text or json').choices(['text', 'json']).default('text'))
    .argument('<A>', 'a recording (the one that works)')
    .argument('<B>', 'a recording (the one that fails)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined });
}

interface TableGroup {
  a: TracedProcess | null;
  b: TracedProcess | null;
  rows: SyscallChange[];
}

interface ProcessDiff {
  pair: ProcessPair;
  divergence: Divergence;
}

const who = (p: TracedProcess | null): { pid: number; program: string } | null => p && { pid: p.pid, program: p.name.name };
const label = (pair: ProcessPair): string =>
  `${(pair.a ?? pair.b)?.name.name ?? '?'} (${pair.a ? `pid ${pair.a.pid} in A` : 'not in A'}, ${pair.b ? `pid ${pair.b.pid} in B` : 'not in B'})`;

const droppedCalls = (pair: ProcessPair): number => (pair.a?.dropped ?? 0) + (pair.b?.dropped ?? 0);

function tables(pairs: ProcessPair[], as: TracedProcess[], bs: TracedProcess[]): TableGroup[] {
  if (as.length > 1 && bs.length > 1)
    return pairs.map((pair) => ({ ...pair, rows: syscallChanges(pair.a ? [pair.a] : [], pair.b ? [pair.b] : []) }));
  return [{ a: null, b: null, rows: syscallChanges(as, bs) }];
}

function textReport(fileA: string, fileB: string, groups: TableGroup[], diffs: ProcessDiff[]): string[] {
  const lines = [`--- ${fileA}`, `+++ ${fileB}`];
  for (const group of groups) {
    lines.push('', group.a || group.b ? ` ${label(group)}:` : ' All processes:', '');
    lines.push(...renderChanges(group.rows));
  }
  for (const { pair, divergence } of diffs) {
    lines.push('', ` ${label(pair)}:`);
    const { first, further } = divergence;
    if (!first) lines.push('   the same calls');
    else {
      lines.push(`   first divergence at call ${first.aStart + 1 + first.lines.findIndex((l) => l[0] !== ' ')} of A:`);
      lines.push(...unifiedHunk(first));
      lines.push(`   ${further} further difference${further === 1 ? '' : 's'}`);
    }
    const dropped = droppedCalls(pair);
    if (dropped > 0) lines.push(`   (${dropped} later calls past the first ${MAX_CALLS} of a recording were not compared)`);
  }
  return lines;
}

function jsonReport(fileA: string, fileB: string, groups: TableGroup[], diffs: ProcessDiff[], agree: boolean): string {
  return JSON.stringify({
    a: fileA, b: fileB, agree,
    syscalls: groups.map((g) => ({ a: who(g.a), b: who(g.b), rows: g.rows })),
    processes: diffs.map(({ pair, divergence }) => ({
      a: who(pair.a), b: who(pair.b),
      firstDivergence: divergence.first && { aCall: divergence.first.aStart + 1, bCall: divergence.first.bStart + 1, hunk: unifiedHunk(divergence.first) },
      furtherDifferences: divergence.further,
      droppedCalls: droppedCalls(pair),
    })),
  });
}

export function runDiff(argv: string[]): number {
  const program = diffProgram();
  program.parse(argv, { from: 'user' });
  const [fileA, fileB] = program.args;
  let a, b;
  try {
    a = loadCalls(fileA);
    b = loadCalls(fileB);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    process.stderr.write(`bpftrace-ts: ${error.message}\n`);
    return DIFF_TROUBLE;
  }
  const pairs = matchProcesses(a.processes, b.processes);
  const groups = tables(pairs, a.processes, b.processes);
  const diffs = pairs.map((pair) => ({ pair, divergence: firstDivergence(pair.a?.calls ?? [], pair.b?.calls ?? []) }));
  const agree = diffs.every((d) => d.divergence.first === null) && groups.every((g) => !g.rows.some(countsDiffer));
  const text = program.opts().format === 'json' ? jsonReport(fileA, fileB, groups, diffs, agree) + '\n'
    : textReport(fileA, fileB, groups, diffs).join('\n') + '\n';
  process.stdout.write(text);
  return agree ? 0 : 1;
}
