// Socket arguments: socket types with their flags.
import { enumeration, enumWithFlags, same, type Decoded } from './symbols';

const SOCK_TYPE_MASK = 0xf;

/** socket(2) type: the type, then SOCK_CLOEXEC / SOCK_NONBLOCK. */
export function socketType(value: number): Decoded {
  return enumWithFlags('socket_type', SOCK_TYPE_MASK, 'socket_type_flags', value);
}

const AF_INET = 2;
const AF_INET6 = 10;
const SOL_SOCKET = 1;
const SOL_TCP = 6;

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
