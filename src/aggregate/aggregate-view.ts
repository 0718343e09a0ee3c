// The kernel's tables (--summary-only, --hist, --top) as text: one snapshot of its counts
// rendered as a summary table, histograms, or a top view redrawn in place.
import type { Aggregate } from '../wire/batch-decoder';
import { formatHistograms, type HistBy } from './format-hist';
import { fitTerminal, formatTop } from './format-top';
import { SyscallSummary, type SummaryBy } from './syscall-summary';

export type AggregateOptions = {
  intervalMs?: number;
  /** Output goes to -o, not to a terminal. */
  toFile?: boolean;
  /** Snapshots only feed onAggregate (--prometheus without -i): nothing is printed. */
  silent?: boolean;
} & ({ view: 'summary'; by: SummaryBy } | { view: 'hist'; by: HistBy; top: number } | { view: 'top'; by: 'process'; rows: number });

/** A view redrawn over the last from the top left: each line erases what is left of the
 * old one after it, the last also the rest of the screen. Not by clearing the screen
 * (ED 2), which terminals such as tmux keep in their history, a copy per view. */
const CURSOR_HOME = '\x1b[H';
const ERASE_LINE_END = '\x1b[K';
const ERASE_SCREEN_END = '\x1b[J';

/** The text of one snapshot of the kernel's tables. */
export function renderAggregate(options: AggregateOptions, snapshot: Aggregate): { lines: string[]; calls: number } {
  const calls = snapshot.rows.reduce((sum, row) => sum + (row.calls ?? 0), 0);
  let lines: string[];
  if (options.view === 'summary') {
    const summary = new SyscallSummary(options.by);
    for (const row of snapshot.rows) summary.addRow(row);
    lines = summary.render();
  } else if (options.view === 'hist') {
    lines = formatHistograms(snapshot.rows, options.by, options.top);
  } else {
    const view = (shown: number) => formatTop(snapshot.rows, Math.max(1e-3, (snapshot.endNs - snapshot.startNs) / 1e9), shown);
    // On a terminal each view replaces the last, fitted to its size as it is now (Node
    // updates it on SIGWINCH): it never scrolls. Elsewhere the views follow one another.
    if (process.stdout.isTTY && !options.toFile) {
      lines = fitTerminal(view, options.rows, { rows: process.stdout.rows, columns: process.stdout.columns }).map((l) => l + ERASE_LINE_END);
      lines[0] = CURSOR_HOME + lines[0];
      lines[lines.length - 1] += ERASE_SCREEN_END;
    } else {
      lines = view(options.rows);
      lines.unshift('');
    }
    return { lines, calls };
  }
  if (options.intervalMs !== undefined) {
    const seconds = (ns: number): string => (ns / 1e9).toFixed(3);
    lines.unshift('', `--- ${seconds(snapshot.startNs)} s to ${seconds(snapshot.endNs)} s: ${calls} calls ---`);
  }
  return { lines, calls };
}

