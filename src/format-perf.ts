// perf trace's line format:
//      3.150 ( 0.020 ms): cat/2171 read(fd: 3</etc/issue>, buf: "...", count: 131072) = 26
import type { SyscallCall } from './call-pairer';
import { argDecoders } from './decode/arg-decoders';
import { capturedArgs, type CaptureOptions } from './decode/captured';
import type { FdTable } from './fd-table';
import { argSpecs, formatReturn, formatValue } from './raw-args';
import { syscallName } from './syscall-table';

const NO_DURATION = '         '; // as wide as " 0.020 ms"

function ms(ns: number): string {
  return (ns / 1e6).toFixed(3);
}

export interface PerfOptions extends CaptureOptions {
  /** -y: file descriptors with what they refer to. */
  fds?: FdTable;
}

export class PerfFormatter {
  constructor(private readonly options: PerfOptions) {}

  /** One line per call event, or null when the event adds nothing to what was printed. */
  format(call: SyscallCall): string | null {
    switch (call.state) {
      case 'started':
        return this.prefix(call, false) + this.callText(call, null) + ' ...';
      case 'no-return':
        return this.prefix(call, false) + this.callText(call, null) + ' = ?';
      case 'unfinished':
        return call.announced ? null : this.prefix(call, false) + this.callText(call, null) + ' <unfinished ...>';
      case 'returned': {
        const captured = call.args !== null && !call.announced ? capturedArgs(call, this.options).args : null;
        const text = captured ? this.callText(call, captured) : '';
        const fds = this.options.fds;
        fds?.update(call);
        let result = ' = ' + formatReturn(call.nr, call.ret ?? 0);
        if (fds) result += fds.resultAnnotation(call.pid, syscallName(call.nr), call.ret);
        if (!captured) return this.prefix(call, true) + ` ... [continued]: ${syscallName(call.nr)}())` + result;
        return this.prefix(call, true) + text + result;
      }
    }
  }

  private prefix(call: SyscallCall, withDuration: boolean): string {
    const duration = withDuration && call.durNs !== null ? ms(call.durNs).padStart(6) + ' ms' : NO_DURATION;
    return `${ms(call.tsNs).padStart(10)} (${duration}): ${call.comm}/${call.tid} `;
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
        if (this.options.fds) text += this.options.fds.argumentAnnotation(call.pid, specs[i].name, args[i]);
      }
    }
    return text + ')';
  }
}
