// Waiting and device arguments: futex operations, ioctl requests.
import { enumName, enumWithFlags, hex, same, type Decoded } from './symbols';
import { KERNEL_VALUES as K } from '../generated/flag-tables';

/** The bits of futex's op argument strace reads as the operation (its `op & 127`); the kernel's
 * FUTEX_CMD_MASK clears only FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME. */
export const FUTEX_OPERATION_MASK = 0x7f;
const { FUTEX_PRIVATE_FLAG } = K;

/** strace folds the private flag into the name (FUTEX_WAKE_PRIVATE); perf lists it (WAKE|PRIVATE_FLAG). */
export function futexOp(value: number): Decoded {
  const decoded = enumWithFlags('futex_op', FUTEX_OPERATION_MASK, 'futex_op_flags', value);
  if (!(value & FUTEX_PRIVATE_FLAG) || !decoded.strace.startsWith('FUTEX_')) return decoded;
  const [op, ...others] = decoded.strace.split('|').filter((name) => name !== 'FUTEX_PRIVATE_FLAG');
  return { strace: [`${op}_PRIVATE`, ...others].join('|'), perf: decoded.perf };
}

/** Requests strace knows under several names, which it lists all. */
const IOCTL_ALIASES: Record<string, string> = { FICLONE: 'BTRFS_IOC_CLONE or FICLONE' };

/** An ioctl request by name when it is a common one, else in hex as the kernel defines them. */
export function ioctlRequest(value: number): Decoded {
  const name = enumName('ioctl_request', value >>> 0);
  if (name === undefined) return same(hex(value >>> 0));
  return { strace: IOCTL_ALIASES[name] ?? name, perf: name };
}
