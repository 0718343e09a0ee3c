// Process arguments: clone flags with their exit signal, clock ids.
import { enumName, enumeration, flagNames, hex, joined, same, type Decoded } from './symbols';

const CSIGNAL = 0xff; // clone(2): the signal sent to the parent when the child exits

/** clone(2) flags, with the exit signal in the low byte shown by name. */
export function cloneFlags(value: number): Decoded {
  const exitSignal = value & CSIGNAL;
  const { names, rest } = flagNames('clone_flags', (value & ~CSIGNAL) >>> 0);
  if (rest !== 0) names.push(hex(rest));
  if (exitSignal !== 0) names.push(enumName('signals', exitSignal) ?? String(exitSignal));
  return names.length ? joined(names, 'CLONE_') : same('0');
}

/** A clock id: the named clocks, or a negative CPU-time clock of a process or thread. */
export function clockId(value: number): Decoded {
  return enumeration('clock_id', value | 0);
}
