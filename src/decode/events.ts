// Waiting and device arguments: futex operations, ioctl requests.
import { enumName, enumWithFlags, hex, same, type Decoded } from './symbols';

const FUTEX_CMD_MASK = 0x7f; // the operation; FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME above

export function futexOp(value: number): Decoded {
  return enumWithFlags('futex_op', FUTEX_CMD_MASK, 'futex_op_flags', value);
}

/** An ioctl request by name when it is a common one, else in hex as the kernel defines them. */
export function ioctlRequest(value: number): Decoded {
  return same(enumName('ioctl_request', value >>> 0) ?? hex(value >>> 0));
}
