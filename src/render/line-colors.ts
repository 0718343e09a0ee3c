// --color: what stands out on a terminal, as strace 7 colours it: failed calls, slow calls
// and signals (and lost events). Never in JSON; by default only on a terminal, and not
// when NO_COLOR is set (no-color.org).
import type { SyscallCall } from '../pair/call-pairer';
import { errnoOf } from '../syscalls/raw-args';

export type ColorWhen = 'auto' | 'always' | 'never';
export const COLOR_CHOICES: readonly ColorWhen[] = ['auto', 'always', 'never'];

const RED = '\x1b[31m';
const YELLOW = '\x1b[33m';
const MAGENTA = '\x1b[35m';
const RESET = '\x1b[0m';
/** A call at least this long is slow: as long as a call is blocked before it is shown as started. */
export const SLOW_CALL_NS = 10e6;

/** Whether lines are coloured: toTerminal says whether they go to a terminal. */
export function colorsOn(when: ColorWhen, toTerminal: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  if (when !== 'auto') return when === 'always';
  return toTerminal && !env.NO_COLOR;
}

/** The call's line, coloured when the call failed (red) or was slow (yellow). */
export function colorCallLine(line: string, call: SyscallCall): string {
  if (call.state === 'returned' && call.ret !== null && errnoOf(call.nr, call.ret) !== null) return RED + line + RESET;
  if (call.state === 'returned' && call.durNs !== null && call.durNs >= SLOW_CALL_NS) return YELLOW + line + RESET;
  return line;
}

/** A signal's line (magenta), or lost events' (red). */
export function colorEventLine(line: string, kind: 'signal' | 'lost'): string {
  return (kind === 'signal' ? MAGENTA : RED) + line + RESET;
}
