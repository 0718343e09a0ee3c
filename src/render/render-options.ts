// How calls are rendered: the output format and what each line shows. The command line
// (src/cli/display-options.ts) builds these from argv.
import type { HexMode } from '../decode/quote';

/** --format: the same list for a live trace and for report. */
export const OUTPUT_FORMATS = ['perf', 'strace', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface RenderOptions {
  format: OutputFormat;
  /** -y: file descriptors shown with their paths; -yy: sockets with their endpoints too. */
  decodeFds?: 'paths' | 'sockets';
  /** -x: non-ASCII bytes in hex; -xx: every byte. */
  hex: HexMode;
  /** -t/-tt/-ttt (wall clock), -r (since the previous line), -T (time in the call);
   * --always-show-pid (strace format). */
  absoluteTime: number;
  relativeTime: boolean;
  callDuration: boolean;
  alwaysShowPid: boolean;
  /** strace format, -f -o FILE (not -ff): the pid as a column on every line, `4242  read(...`,
   * as strace writes it, instead of `[pid  4242] `. */
  pidColumn: boolean;
  /** -s: bytes of each string and buffer shown (paths are shown whole). */
  stringLimit: number;
  /** -k: each call's user-space stack (captured live; shown from a recording that has them). */
  stack: boolean;
  /** --color: failed and slow calls and signals stand out (perf and strace formats). */
  color: boolean;
}
