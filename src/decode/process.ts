// Process arguments: clone flags with their exit signal, clock ids, scheduling priorities.
import { enumName, enumeration, flagNames, hex, hexNumber, joined, same, tableValue, userOrGroupIdText, type Decoded } from './symbols';
import { KERNEL_VALUES as K } from '../generated/flag-tables';

/** clone(2): the bits of the signal sent to the parent when the child exits. */
export const CSIGNAL = K.CSIGNAL;
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

const PRIO_USER = tableValue('prio_which', 'PRIO_USER');

/** getpriority's and setpriority's which: PRIO_PROCESS, or the number and a PRIO_??? comment. */
export function priorityWhich(value: number): Decoded {
  const name = enumName('prio_which', value | 0);
  return name ? joined([name], 'PRIO_') : same(`${hexNumber(value >>> 0)} /* PRIO_??? */`);
}

/** Their who: a user id for PRIO_USER ((uid_t)-1 as -1), a process or group id otherwise. */
export function priorityWho(value: number, args: readonly number[]): Decoded {
  return same((args[0] | 0) === PRIO_USER ? userOrGroupIdText(value >>> 0) : String(value | 0));
}
