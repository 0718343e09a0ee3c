// strace's line format, for people and scripts that read strace output:
//   openat(AT_FDCWD, "/etc/hosts", O_RDONLY|O_CLOEXEC) = 3
//   [pid  4242] read(3,  <unfinished ...>
//   [pid  4242] <... read resumed>"127.0.0.1 localhost\n", 4096) = 20
import type { ProcessEvent, SyscallCall } from '../pair/call-pairer';
import { processEventText } from './format-process-event';
import { capturedArgs, type CaptureOptions } from '../decode/captured';
import { argDecoders } from '../decode/arg-decoders';
import { captureRules } from '../syscalls/capture-rules';
import { argSpecs, formatReturn, formatValue, hex, tamperingNote } from '../syscalls/raw-args';
import { isHexArg, isHexReturn, isOctalReturn, returnNote, shownArgCount, splitArgs, straceArgText } from '../decode/strace-args';
import { umaskValue } from '../decode/fs';
import { syscallName } from '../syscalls/syscall-table';
import { RelativeClock, wallClock, type TimeOptions } from './time-column';

export interface StraceOptions extends CaptureOptions, TimeOptions {
  /** -T: the time spent in each call, at the end of the line. */
  callDuration: boolean;
  /** The [pid N] prefix: on every line (--always-show-pid), only while several tasks run
   * (strace's default), or never (-ff: a file per task). */
  pidPrefix: 'always' | 'several-tasks' | 'never';
  /** The prefix as strace writes it in a file: `4242  ` rather than `[pid  4242] `. */
  pidColumn?: boolean;
}

/** Arguments the kernel writes that are shown as pointers (nothing is copied), which strace
 * prints at the exit: `clock_nanosleep(CLOCK_REALTIME, 0, {...},  <unfinished ...>`. */
const UNCOPIED_OUTPUT_ARG: Record<string, number> = { nanosleep: 1, clock_nanosleep: 3 };

/** Index of the first argument the kernel writes (shown after "resumed"), by syscall. */
const firstOutputArg = new Map<number, number>();
function outputSplit(nr: number, argCount: number): number {
  let split = firstOutputArg.get(nr);
  if (split === undefined) {
    const exitArgs = (captureRules().get(nr) ?? []).filter((rule) => rule.atExit).map((rule) => rule.arg);
    const uncopied = UNCOPIED_OUTPUT_ARG[syscallName(nr)];
    if (uncopied !== undefined) exitArgs.push(uncopied);
    split = exitArgs.length ? Math.min(...exitArgs) : argCount;
    firstOutputArg.set(nr, split);
  }
  return split;
}

const FORKS = new Set(['fork', 'vfork', 'clone', 'clone3']);

/** strace writes " = result" from this column when the call is shorter. */
const RESULT_COLUMN = 40;

function withResult(line: string, result: string): string {
  return line.length < RESULT_COLUMN ? line.padEnd(RESULT_COLUMN) + result.slice(1) : line + result;
}

export class StraceFormatter {
  private readonly relative = new RelativeClock();
  /** Live tasks seen (tid -> pid): strace prefixes lines with [pid N] while there are several. */
  private readonly tasks = new Map<number, number>();
  /** Processes whose end the backend reported. */
  private readonly exited = new Set<number>();

  constructor(private readonly options: StraceOptions) {}

  /** A task the trace follows, alive from now until its end is formatted (strace counts the
   * tasks it traces, whether or not they print). */
  noteTask(tid: number, pid: number): void {
    this.tasks.set(tid, pid);
  }

  /** A thread ended without a line of its own (its process lives on). */
  forgetTask(tid: number): void {
    this.tasks.delete(tid);
  }

  /** Whether lines begun now carry the [pid N] prefix: several tasks are alive. */
  severalTasks(): boolean {
    return this.tasks.size > 1;
  }

  /** Whether format(call) would print nothing: a new process's or thread's return from fork
   * or clone (strace shows only the parent's). */
  silent(call: SyscallCall): boolean {
    return call.state === 'returned' && call.args === null && call.ret === 0 && FORKS.has(syscallName(call.nr));
  }

  /** One line per call event, or null when strace would print nothing for it. several: whether
   * the line carries the [pid N] prefix, as decided when it began (default: now). */
  format(call: SyscallCall, several?: boolean): string | null {
    this.tasks.set(call.tid, call.pid);
    const name = syscallName(call.nr);
    if (this.silent(call)) return null;
    switch (call.state) {
      case 'started':
        return this.entryHalf(call, several) + ' <unfinished ...>';
      case 'no-return': {
        const line = withResult(this.lead(call, call.tsNs, several) + name + '(' + this.argText(call, 0, argSpecs(call.nr).length, false) + ')', ' = ?');
        // A thread's end is not reported as a process's is: it is gone with its exit. A
        // process is alive until its end is formatted (its `+++ exited` line).
        if (name === 'exit') this.tasks.delete(call.tid);
        return line;
      }
      case 'unfinished':
        // As strace ends a call its thread never returned from; at the trace's end a call
        // shown as started may still return: nothing more is said.
        if (call.announced) return call.atTraceEnd ? null : withResult(this.lead(call, call.tsNs) + `<... ${name} resumed> <unfinished ...>)`, ' = ?');
        return this.entryHalf(call, several) + ' <unfinished ...>)';
      case 'returned': {
        const endNs = call.tsNs + (call.durNs ?? 0);
        const captured = capturedArgs(call, this.options);
        const count = argSpecs(call.nr).length;
        const split = call.args === null ? count : call.announced ? outputSplit(call.nr, count) : 0;
        const shaped = splitArgs(call, captured.args, this.options.hex, this.options.stringLimit);
        // Arguments show the descriptors as they were before the call, the result as after (call.fdNotes).
        const argText = shaped ? (call.announced ? shaped.exit : shaped.entry + shaped.exit) : this.argText(call, split, count, false, captured.args);
        const ret = call.ret ?? 0;
        const retText = ret > 0 && isHexReturn(call.nr, call.args) ? '0x' + hex(ret)
          : ret >= 0 && isOctalReturn(call.nr) ? umaskValue(ret).strace : formatReturn(call.nr, ret);
        let result = ' = ' + retText + returnNote(call.nr, call.args, ret);
        if (call.fdNotes) result += call.fdNotes.result;
        result += tamperingNote(call.tampered);
        result += (captured.afterReturn ?? '') + this.duration(call);
        if (call.args === null) return withResult(this.lead(call, endNs) + `<... ${name} resumed>)`, result);
        if (call.announced) return withResult(this.lead(call, endNs) + `<... ${name} resumed>` + argText + ')', result);
        return withResult(this.lead(call, call.tsNs, several) + name + '(' + argText + ')', result);
      }
    }
  }

  /** What strace writes when the call starts, `read(0, `: the line so far, for a terminal to
   * show while the call blocks; its later line begins with it. Changes no state. */
  openText(call: SyscallCall, several: boolean): string {
    return this.entryHalf(call, several, true);
  }

  /** The entry half of a call's line: the lead, the name and the arguments known before it
   * returns. peek: the relative clock (-r) is read, not advanced. */
  private entryHalf(call: SyscallCall, several: boolean | undefined, peek = false): string {
    return this.lead(call, call.tsNs, several, peek) + syscallName(call.nr) + '(' + this.unfinishedArgs(call);
  }

  /** Events the kernel could not queue (strace has no such line: perf trace's words, in
   * strace's marks for what is not a call). */
  lost(count: number): string {
    return `+++ LOST ${count} events! +++`;
  }

  /** A signal or a process's end, from a backend that reports them (ptrace). */
  processEvent(event: ProcessEvent): string {
    // The task is alive until this line, its end's, is printed.
    this.tasks.set(event.tid, event.pid);
    const line = this.lead({ tid: event.tid } as SyscallCall, event.tsNs) + processEventText(event);
    if (event.type === 'exit') {
      this.exited.add(event.pid);
      for (const [tid, pid] of this.tasks) if (pid === event.pid) this.tasks.delete(tid);
    }
    return line;
  }

  /** strace's last line for the launched command, when the backend did not report it:
   * `+++ exited with 0 +++`, `+++ killed by SIGKILL +++`; null if it was shown already. */
  processExit(pid: number, atNs: number, exitCode: number | null, signal: string | null): string | null {
    if (this.exited.has(pid)) return null;
    const text = exitCode !== null ? `+++ exited with ${exitCode} +++` : `+++ killed by SIG${signal ?? '?'} +++`;
    const line = this.lead({ tid: pid } as SyscallCall, atNs) + text;
    this.tasks.delete(pid);
    return line;
  }

  /** The timestamp and pid columns. several: whether several tasks were alive when the line
   * began (default: now); peek: the relative clock is read, not advanced. */
  private lead(call: SyscallCall, atNs: number, several = this.severalTasks(), peek = false): string {
    let text = '';
    const { pidPrefix } = this.options;
    if (pidPrefix === 'always' || (pidPrefix === 'several-tasks' && several))
      text += this.options.pidColumn ? `${String(call.tid).padEnd(5)} ` : `[pid ${String(call.tid).padStart(5)}] `;
    if (this.options.absoluteTime > 0) text += wallClock(this.options, atNs) + ' ';
    if (this.options.relativeTime) {
      const since = peek ? this.relative.peek(atNs) : this.relative.sinceLast(atNs);
      text += `${String(Math.floor(since / 1e9)).padStart(6)}.${String(Math.floor((since % 1e9) / 1e3)).padStart(6, '0')} `;
    }
    return text;
  }

  private duration(call: SyscallCall): string {
    if (!this.options.callDuration || call.durNs === null) return '';
    return ` <${(call.durNs / 1e9).toFixed(6)}>`;
  }

  /** The arguments known before the call returns: up to the first the kernel writes, then
   * ", " when more follow (strace's `read(0,  <unfinished ...>`). */
  private unfinishedArgs(call: SyscallCall): string {
    const shaped = splitArgs(call, capturedArgs(call, this.options).args, this.options.hex, this.options.stringLimit);
    if (shaped) return shaped.entry;
    const count = argSpecs(call.nr).length;
    const split = outputSplit(call.nr, count);
    return this.argText(call, 0, split, split < count);
  }

  /** Arguments from..to, strace style; `open`: the list goes on after them (unfinished). */
  private argText(call: SyscallCall, from: number, to: number, open: boolean, captured?: (string | undefined)[]): string {
    const args = call.args;
    if (!args) return '';
    const specs = argSpecs(call.nr);
    const decoders = argDecoders(call.nr);
    const texts = captured ?? capturedArgs(call, this.options).args;
    const parts: string[] = [];
    const shown = shownArgCount(call.nr, args, specs.length);
    for (let i = from; i < to && i < shown; i++) {
      let text = texts[i] ?? straceArgText(call.nr, i, args) ?? decoders[i]?.(args[i], args).strace ?? (args[i] === 0 && specs[i].kind === 'hex' ? '0' : isHexArg(call.nr, i) && args[i] !== 0 ? '0x' + hex(args[i]) : formatValue(specs[i].kind, args[i]));
      if (call.fdNotes) text += call.fdNotes.args[i] ?? '';
      parts.push(text);
    }
    let text = parts.join(', ');
    if (open && parts.length > 0) text += ', ';
    return text;
  }
}
