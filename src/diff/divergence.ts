// The first place two processes' calls differ, as diff -u would show it, and how many
// more differences follow. Runs of calls resynchronise greedily: after a difference, the
// nearest pair of positions (within a window) from which RESYNC_RUN keys agree again.
import type { DiffCall } from './load-calls';

export const CONTEXT_CALLS = 3;
/** How far ahead a difference may end: beyond it the rest counts as one difference. */
const RESYNC_WINDOW = 64;
const RESYNC_RUN = 3;
/** Calls shown of each side of the first difference; the rest are counted. */
export const MAX_HUNK_CALLS = 20;

export interface Hunk {
  /** Index of the hunk's first line in A's and in B's calls. */
  aStart: number;
  bStart: number;
  /** Calls of A and of B the hunk covers (some may not be shown: MAX_HUNK_CALLS). */
  aCount: number;
  bCount: number;
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

/** Calls from..to of one side, marked, at most MAX_HUNK_CALLS of them and a count of the rest. */
function changed(calls: DiffCall[], from: number, to: number, mark: '-' | '+'): string[] {
  const shown = calls.slice(from, Math.min(to, from + MAX_HUNK_CALLS)).map((c) => mark + c.line);
  if (to - from > MAX_HUNK_CALLS) shown.push(`${mark}... ${to - from - MAX_HUNK_CALLS} more calls`);
  return shown;
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
      const after = Math.min(CONTEXT_CALLS, a.length - ni);
      const lines = [
        ...a.slice(i - before, i).map((c) => ' ' + c.line),
        ...changed(a, i, ni, '-'),
        ...changed(b, j, nj, '+'),
        ...a.slice(ni, ni + after).map((c) => ' ' + c.line),
      ];
      first = { aStart: i - before, bStart: j - before, aCount: before + ni - i + after, bCount: before + nj - j + after, lines };
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
  // diff -u numbers an empty range by the line before it.
  const start = (at: number, count: number): number => (count === 0 ? at : at + 1);
  return [`@@ -${start(hunk.aStart, hunk.aCount)},${hunk.aCount} +${start(hunk.bStart, hunk.bCount)},${hunk.bCount} @@`, ...hunk.lines];
}
