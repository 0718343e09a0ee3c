// What an exporter takes: every call a trace selects, besides what it displays.
import type { SyscallCall } from '../pair/call-pairer';

/** Takes every call (past the -e and --pid filters of a report) besides the display: exports. */
export interface CallExport {
  add(call: SyscallCall): void;
  /** The trace is over: write what is left. */
  finish(): void;
  /** The trace failed: leave no file that looks complete. */
  discard(): void;
}
