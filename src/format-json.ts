// JSON Lines: one object per call (see README, "JSON output").
import type { SyscallCall } from './call-pairer';
import { argSpecs, errnoName, errnoOf, jsonValue } from './raw-args';
import { syscallName } from './syscall-table';

function argsJson(call: SyscallCall): string {
  const args = call.args;
  if (!args) return 'null';
  const specs = argSpecs(call.nr);
  let text = '{';
  for (let i = 0; i < specs.length; i++) {
    if (i > 0) text += ',';
    text += '"' + specs[i].name + '":' + jsonValue(specs[i].kind, args[i]);
  }
  return text + '}';
}

/** The call's JSON object, or null for a 'started' announcement (JSON has one object per call). */
export function formatJsonLine(call: SyscallCall): string | null {
  if (call.state === 'started') return null;
  const returned = call.state === 'returned' && call.ret !== null;
  const errno = returned ? errnoOf(call.nr, call.ret as number) : null;
  return '{"ts_ns":' + call.tsNs +
    ',"dur_ns":' + (returned && call.durNs !== null ? call.durNs : 'null') +
    ',"pid":' + call.pid +
    ',"tid":' + call.tid +
    ',"comm":' + JSON.stringify(call.comm) +
    ',"syscall":"' + syscallName(call.nr) +
    '","nr":' + call.nr +
    ',"args":' + argsJson(call) +
    ',"ret":' + (returned ? call.ret : 'null') +
    ',"errno":' + (errno !== null ? '"' + errnoName(errno) + '"' : 'null') +
    '}';
}
