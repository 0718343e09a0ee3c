// File-system arguments: directory fds, open flags, permission modes, access modes.
import { enumeration, flags, joined, same, type Decoded } from './symbols';

const AT_FDCWD = -100;
const O_ACCMODE = 3;

/** dirfd of the *at calls: AT_FDCWD by name, else the fd. */
export function dirfd(value: number): Decoded {
  const fd = value | 0;
  return fd === AT_FDCWD ? { strace: 'AT_FDCWD', perf: 'CWD' } : same(String(fd));
}

/** open(2) flags: the access mode, always shown, then the flags. */
export function openFlags(value: number): Decoded {
  const access = enumeration('open_access', value & O_ACCMODE);
  const rest = (value & ~O_ACCMODE) >>> 0;
  if (rest === 0) return access;
  const other = flags('open_flags', rest);
  return { strace: `${access.strace}|${other.strace}`, perf: `${access.perf}|${other.perf}` };
}

/** A permission mode, in octal as chmod(1) writes it. */
export function fileMode(value: number): Decoded {
  return same(value === 0 ? '0' : '0' + (value >>> 0).toString(8).padStart(3, '0'));
}

/** access(2) mode: F_OK (0) or R_OK|W_OK|X_OK. */
export function accessMode(value: number): Decoded {
  return value === 0 ? joined(['F_OK'], '') : flags('access_mode', value);
}
