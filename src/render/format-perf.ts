// perf trace's line format:
//      3.150 ( 0.020 ms): cat/2171 read(fd: 3</etc/issue>, buf: "...", count: 131072) = 26
import type { ProcessEvent, SyscallCall } from '../pair/call-pairer';
import { processEventText } from './format-process-event';
import { RelativeClock, wallClock, type TimeOptions } from './time-column';
import { argDecoders } from '../decode/arg-decoders';
import { capturedArgs, type CaptureOptions } from '../decode/captured';
import { argSpecs, formatReturn, formatValue, tamperingNote } from '../syscalls/raw-args';
import { syscallName } from '../syscalls/syscall-table';

const NO_DURATION = '         '; // as wide as " 0.020 ms"

function ms(ns: number): string {
  return (ns / 1e6).toFixed(3);
}

export type PerfOptions = CaptureOptions & TimeOptions;

export class PerfFormatter {
  private readonly relative = new RelativeClock();

  constructor(private readonly options: PerfOptions) {}

  /** A signal or a process's end: the call lines' time and thread, then the strace text. */
  processEvent(event: ProcessEvent): string {
    return `${this.time(event.tsNs)} (${NO_DURATION}): ${event.comm}/${event.tid} ${processEventText(event)}`;
  }

  /** Events the kernel could not queue, where the tracer found them missing: perf trace's
   * line, without a time (it is when the loss was noticed, not when it happened). */
  lost(count: number): string {
    return `LOST ${count} events!`;
  }

  /** One line per call event, or null when the event adds nothing to what was printed. */
  format(call: SyscallCall): string | null {
    switch (call.state) {
      case 'started':
        return this.prefix(call, false) + this.callText(call, null) + ' ...';
      case 'no-return':
        return this.prefix(call, false) + this.callText(call, null) + ' = ?';
      case 'unfinished':
        // Shown as started: closed here when its exit will never come (or was lost), not
        // when the trace ends while it runs.
        if (call.announced) return call.atTraceEnd ? null : this.prefix(call, false) + ` ... [continued]: ${syscallName(call.nr)}()) = ?`;
        return this.prefix(call, false) + this.callText(call, null) + ' <unfinished ...>';
      case 'returned': {
        // A call announced as started shows its arguments there; what the kernel wrote back
        // (poll's revents) is shown after the result in both cases, as strace shows it.
        const captured = call.args !== null ? capturedArgs(call, this.options) : null;
        const text = captured && !call.announced ? this.callText(call, captured.args) : '';
        let result = ' = ' + formatReturn(call.nr, call.ret ?? 0);
        if (call.fdNotes) result += call.fdNotes.result;
        if (captured?.afterReturn) result += captured.afterReturn;
        result += tamperingNote(call.tampered);
        if (!text) return this.prefix(call, true) + ` ... [continued]: ${syscallName(call.nr)}())` + result;
        return this.prefix(call, true) + text + result;
      }
    }
  }

  private prefix(call: SyscallCall, withDuration: boolean): string {
    const duration = withDuration && call.durNs !== null ? ms(call.durNs).padStart(6) + ' ms' : NO_DURATION;
    return `${this.time(call.tsNs)} (${duration}): ${call.comm}/${call.tid} `;
  }

  /** The time column: ms since the trace started (perf's), or the wall clock (-t, -tt,
   * -ttt) and/or the ms since the previous line (-r). */
  private time(atNs: number): string {
    const { absoluteTime, relativeTime } = this.options;
    if (absoluteTime === 0 && !relativeTime) return ms(atNs).padStart(10);
    const columns: string[] = [];
    if (absoluteTime > 0) columns.push(wallClock(this.options, atNs));
    if (relativeTime) columns.push(ms(this.relative.sinceLast(atNs)).padStart(10));
    return columns.join(' ');
  }

  private callText(call: SyscallCall, captured: (string | undefined)[] | null): string {
    const specs = argSpecs(call.nr);
    const decoders = argDecoders(call.nr);
    const args = call.args;
    const texts = captured ?? (args ? capturedArgs(call, this.options).args : []);
    let text = syscallName(call.nr) + '(';
    if (args) {
      for (let i = 0; i < specs.length; i++) {
        if (i > 0) text += ', ';
        const decode = decoders[i];
        text += specs[i].name + ': ' + (texts[i] ?? (decode ? decode(args[i], args).perf : formatValue(specs[i].kind, args[i])));
        if (call.fdNotes) text += call.fdNotes.args[i] ?? '';
      }
    }
    return text + ')';
  }
}
