// The first place two processes' calls differ, as diff -u would show it, and how many
// more differences follow. Runs of calls resynchronise greedily: after a difference, the
// nearest pair of positions (within a window) from which RESYNC_RUN keys agree again.
import type { DiffCall } from './load-calls';

export const CONTEXT_CALLS = 3;
/** How far ahead a difference may end: beyond it the rest counts as one difference. */
const RESYNC_WINDOW = 64;
const RESYNC_RUN = 3;

export interface Hunk {
  /** Index of the hunk's first line in A's and in B's calls. */
  aStart: number;
  bStart: number;
  /** Lines of the hunk: ' ' context, '-' only in A, '+' only in B, then the strace line. */
  lines: string[];
}

export interface Divergence {
  first: Hunk | null;
  /** Differences after the first. */
  further: number;
}

function agreeFrom(a: DiffCall[], b: DiffCall[], i: number, j: number): boolean {
  for (let k = 0; k < RESYNC_RUN; k++) {
    const x = a[i + k];
    const y = b[j + k];
    if (x === undefined || y === undefined) return x === y;
    if (x.key !== y.key) return false;
  }
  return true;
}

/** Where a and b agree again after they differ at (i, j): the nearest such pair. */
function resync(a: DiffCall[], b: DiffCall[], i: number, j: number): [number, number] {
  for (let d = 1; d <= 2 * RESYNC_WINDOW; d++) {
    for (let x = Math.max(0, d - RESYNC_WINDOW); x <= Math.min(d, RESYNC_WINDOW); x++) {
      const y = d - x;
      if (i + x <= a.length && j + y <= b.length && agreeFrom(a, b, i + x, j + y)) return [i + x, j + y];
    }
  }
  return [a.length, b.length];
}

export function firstDivergence(a: DiffCall[], b: DiffCall[]): Divergence {
  let i = 0;
  let j = 0;
  let first: Hunk | null = null;
  let further = 0;
  for (;;) {
    while (i < a.length && j < b.length && a[i].key === b[j].key) {
      i++;
      j++;
    }
    if (i >= a.length && j >= b.length) break;
    const [ni, nj] = resync(a, b, i, j);
    if (first === null) {
      const before = Math.min(CONTEXT_CALLS, i);
      const lines = [
        ...a.slice(i - before, i).map((c) => ' ' + c.line),
        ...a.slice(i, ni).map((c) => '-' + c.line),
        ...b.slice(j, nj).map((c) => '+' + c.line),
        ...a.slice(ni, ni + CONTEXT_CALLS).map((c) => ' ' + c.line),
      ];
      first = { aStart: i - before, bStart: j - before, lines };
    } else {
      further++;
    }
    i = ni;
    j = nj;
  }
  return { first, further };
}

/** The hunk as diff -u prints it, with its @@ line (1-based call numbers). */
export function unifiedHunk(hunk: Hunk): string[] {
  const aCount = hunk.lines.filter((l) => l[0] !== '+').length;
  const bCount = hunk.lines.filter((l) => l[0] !== '-').length;
  return [`@@ -${hunk.aStart + 1},${aCount} +${hunk.bStart + 1},${bCount} @@`, ...hunk.lines];
}
