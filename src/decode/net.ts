// Socket arguments: socket types with their flags.
import { enumeration, enumWithFlags, same, tableValue, type Decoded } from './symbols';
import { KERNEL_VALUES as K } from '../generated/flag-tables';

const { SOCK_TYPE_MASK, SOL_SOCKET, SOL_TCP } = K;

/** socket(2) type: the type, then SOCK_CLOEXEC / SOCK_NONBLOCK. */
export function socketType(value: number): Decoded {
  return enumWithFlags('socket_type', SOCK_TYPE_MASK, 'socket_type_flags', value);
}

const AF_INET = tableValue('socket_family', 'AF_INET');
const AF_INET6 = tableValue('socket_family', 'AF_INET6');

/** socket(2) protocol: IPPROTO_ names for the internet families, the number elsewhere. */
export function socketProtocol(value: number, args: readonly number[]): Decoded {
  return args[0] === AF_INET || args[0] === AF_INET6 ? enumeration('ip_protocol', value) : same(String(value));
}

/** setsockopt/getsockopt option name, by its level. */
export function socketOption(value: number, args: readonly number[]): Decoded {
  if (args[1] === SOL_SOCKET) return enumeration('so_option', value);
  if (args[1] === SOL_TCP) return enumeration('tcp_option', value);
  return same(String(value));
}
