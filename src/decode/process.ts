// Process arguments: clone flags with their exit signal, clock ids.
import { enumName, enumeration, flagNames, hex, joined, same, tableValue, type Decoded } from './symbols';

export const CSIGNAL = 0xff; // clone(2): the signal sent to the parent when the child exits
/** The clone flags strace's clone and clone3 lines depend on (bits above 32 included). */
export const CLONE = {
  PIDFD: tableValue('clone_flags', 'CLONE_PIDFD'),
  SETTLS: tableValue('clone_flags', 'CLONE_SETTLS'),
  PARENT_SETTID: tableValue('clone_flags', 'CLONE_PARENT_SETTID'),
  CHILD_CLEARTID: tableValue('clone_flags', 'CLONE_CHILD_CLEARTID'),
  CHILD_SETTID: tableValue('clone_flags', 'CLONE_CHILD_SETTID'),
  INTO_CGROUP: tableValue('clone_flags', 'CLONE_INTO_CGROUP'),
} as const;

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
