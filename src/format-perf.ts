// perf trace's line format:
//      3.150 ( 0.020 ms): cat/2171 read(fd: 3, buf: 0x7fadeb936000, count: 131072) = 26
import type { SyscallCall } from './call-pairer';
import { argDecoders } from './decode/arg-decoders';
import { argSpecs, formatReturn, formatValue } from './raw-args';
import { syscallName } from './syscall-table';

const NO_DURATION = '         '; // as wide as " 0.020 ms"

function ms(ns: number): string {
  return (ns / 1e6).toFixed(3);
}

function prefix(call: SyscallCall, withDuration: boolean): string {
  const duration = withDuration && call.durNs !== null ? ms(call.durNs).padStart(6) + ' ms' : NO_DURATION;
  return `${ms(call.tsNs).padStart(10)} (${duration}): ${call.comm}/${call.tid} `;
}

function callText(call: SyscallCall): string {
  const specs = argSpecs(call.nr);
  const decoders = argDecoders(call.nr);
  const args = call.args;
  let text = syscallName(call.nr) + '(';
  if (args) {
    for (let i = 0; i < specs.length; i++) {
      if (i > 0) text += ', ';
      const decode = decoders[i];
      text += specs[i].name + ': ' + (decode ? decode(args[i]).perf : formatValue(specs[i].kind, args[i]));
    }
  }
  return text + ')';
}

/** One line per call event, or null when the event adds nothing to what was printed. */
export function formatPerfLine(call: SyscallCall): string | null {
  switch (call.state) {
    case 'started':
      return prefix(call, false) + callText(call) + ' ...';
    case 'no-return':
      return prefix(call, false) + callText(call) + ' = ?';
    case 'unfinished':
      return call.announced ? null : prefix(call, false) + callText(call) + ' <unfinished ...>';
    case 'returned': {
      const result = ' = ' + formatReturn(call.nr, call.ret ?? 0);
      if (call.announced || call.args === null)
        return prefix(call, true) + ` ... [continued]: ${syscallName(call.nr)}())` + result;
      return prefix(call, true) + callText(call) + result;
    }
  }
}
