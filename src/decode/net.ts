// Socket arguments: socket types with their flags.
import { enumWithFlags, type Decoded } from './symbols';

const SOCK_TYPE_MASK = 0xf;

/** socket(2) type: the type, then SOCK_CLOEXEC / SOCK_NONBLOCK. */
export function socketType(value: number): Decoded {
  return enumWithFlags('socket_type', SOCK_TYPE_MASK, 'socket_type_flags', value);
}
