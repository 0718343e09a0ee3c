// Which process of recording B is which of A: pids differ between runs, so processes are
// matched by what they exec'd (program and arguments), in the order they appeared; those
// left over, by program name in order.
import type { TracedProcess } from './load-calls';

export interface ProcessPair {
  a: TracedProcess | null;
  b: TracedProcess | null;
}

function matchBy(as: TracedProcess[], bs: TracedProcess[], key: (p: TracedProcess) => string, pairs: ProcessPair[]): void {
  const waiting = new Map<string, TracedProcess[]>();
  for (const b of bs) {
    const k = key(b);
    const list = waiting.get(k);
    if (list) list.push(b);
    else waiting.set(k, [b]);
  }
  for (const a of as) {
    const b = waiting.get(key(a))?.shift();
    if (b) pairs.push({ a, b });
  }
}

export function matchProcesses(as: TracedProcess[], bs: TracedProcess[]): ProcessPair[] {
  const pairs: ProcessPair[] = [];
  const left = (list: TracedProcess[], side: 'a' | 'b'): TracedProcess[] => list.filter((p) => !pairs.some((pair) => pair[side] === p));
  matchBy(as, bs, (p) => p.execs.join('\n'), pairs);
  matchBy(left(as, 'a'), left(bs, 'b'), (p) => p.name.name, pairs);
  for (const a of left(as, 'a')) pairs.push({ a, b: null });
  for (const b of left(bs, 'b')) pairs.push({ a: null, b });
  const order = (pair: ProcessPair): number => pair.a?.order ?? Number.MAX_SAFE_INTEGER / 2 + (pair.b?.order ?? 0);
  return pairs.sort((x, y) => order(x) - order(y));
}
