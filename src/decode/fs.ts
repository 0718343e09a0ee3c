// File-system arguments: directory fds, open flags, permission modes, access modes.
import { enumName, enumeration, flagNames, flags, hex, hexNumber, joined, same, tableValue, type Decoded } from './symbols';
import { KERNEL_VALUES as K } from '../generated/flag-tables';

const { AT_FDCWD, O_ACCMODE, O_SYNC, O_DSYNC, O_TMPFILE, O_DIRECTORY, S_IFMT, S_IFCHR, S_IFBLK } = K;

/** dirfd of the *at calls: AT_FDCWD by name, else the fd. */
export function dirfd(value: number): Decoded {
  const fd = value | 0;
  return fd === AT_FDCWD ? { strace: 'AT_FDCWD', perf: 'CWD' } : same(String(fd));
}

/** open(2) flags: the access mode, always shown, then the flags. O_SYNC and O_TMPFILE are
 * multi-bit: they include O_DSYNC and O_DIRECTORY, which are then not named again (as strace
 * prints them). */
export function openFlags(value: number): Decoded {
  const access = enumeration('open_access', value & O_ACCMODE);
  let rest = (value & ~O_ACCMODE) >>> 0;
  if (rest === 0) return access;
  if ((rest & O_SYNC) === O_SYNC) rest = (rest & ~O_DSYNC) >>> 0;
  if ((rest & O_TMPFILE) === O_TMPFILE) rest = (rest & ~O_DIRECTORY) >>> 0;
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

const { F_SETFD, F_SETFL, F_SETSIG } = K;
const fcntlCommands = (...names: string[]): Set<number> => new Set(names.map((name) => tableValue('fcntl_cmd', name)));
/** fcntl commands that return a struct flock and that pass one. */
export const FCNTL_GETLK = fcntlCommands('F_GETLK', 'F_OFD_GETLK');
export const FCNTL_SETLK = fcntlCommands('F_SETLK', 'F_SETLKW', 'F_OFD_SETLK', 'F_OFD_SETLKW');
const FCNTL_LOCKS = new Set([...FCNTL_GETLK, ...FCNTL_SETLK]);

/** fcntl(2)'s third argument by command: descriptor flags, file status flags, a signal; a
 * number for the others (F_DUPFD's lowest fd, F_SETOWN's pid), a lock's address in hex. */
export function fcntlArg(value: number, args: readonly number[]): Decoded {
  switch (args[1]) {
    case F_SETFD: return flags('fd_flags', value);
    case F_SETFL: return openFlags(value);
    case F_SETSIG: return enumeration('signals', value);
    default: return same(FCNTL_LOCKS.has(args[1]) ? hex(value) : String(value));
  }
}

const { AT_STATX_SYNC_TYPE, STATX_BASIC_STATS } = K;

/** statx(2) flags: the sync type, always named and first (as strace 6.1), then the AT_ flags. */
export function statxFlags(value: number): Decoded {
  const sync = enumeration('statx_sync', value & AT_STATX_SYNC_TYPE);
  const rest = (value & ~AT_STATX_SYNC_TYPE) >>> 0;
  if (rest === 0) return sync;
  const other = flags('at_flags', rest);
  return { strace: `${sync.strace}|${other.strace}`, perf: `${sync.perf}|${other.perf}` };
}

/** statx(2) mask: STATX_BASIC_STATS for the eleven basic fields together. */
export function statxMask(value: number): Decoded {
  if (value === 0) return same('0');
  const basic = (value & STATX_BASIC_STATS) === STATX_BASIC_STATS;
  const { names, rest } = flagNames('statx_mask', basic ? (value & ~STATX_BASIC_STATS) >>> 0 : value);
  if (basic) names.unshift('STATX_BASIC_STATS');
  if (rest !== 0) names.push(hex(rest));
  return joined(names, 'STATX_');
}

/** umask(2)'s mask and result, as strace writes them (%#03o: 022). */
export function umaskValue(value: number): Decoded {
  return same('0' + ((value >>> 0) & 0o777).toString(8).padStart(2, '0'));
}

const LOCK_RW = tableValue('flock_op', 'LOCK_READ') | tableValue('flock_op', 'LOCK_WRITE');

/** flock(2)'s operation: LOCK_SH|LOCK_NB; LOCK_READ|LOCK_WRITE together as LOCK_RW, where
 * strace lists it (after LOCK_MAND). */
export function flockOp(value: number): Decoded {
  if ((value & LOCK_RW) !== LOCK_RW) return flags('flock_op', value);
  const { names, rest } = flagNames('flock_op', (value & ~LOCK_RW) >>> 0);
  const mand = names.indexOf('LOCK_MAND');
  names.splice(mand >= 0 ? mand + 1 : names.length, 0, 'LOCK_RW');
  if (rest !== 0) names.push(hex(rest));
  return joined(names, 'LOCK_');
}

const SPECIAL_BITS: readonly [number, string][] = [[K.S_ISUID, 'S_ISUID'], [K.S_ISGID, 'S_ISGID'], [K.S_ISVTX, 'S_ISVTX']];

/** C's %#03o: 0644, 044, 004, 000. */
const octal03 = (value: number): string => (value === 0 ? '0' : '0' + value.toString(8)).padStart(3, '0');

/** A mode with its file type, as strace's print_symbolic_mode_t: S_IFREG|0644,
 * S_IFIFO|S_ISUID|0755; the whole mode in octal when the type has no name; 0644 without one. */
export function fileTypeAndMode(mode: number): string {
  const type = mode & S_IFMT;
  const name = type === 0 ? '' : enumName('file_type', type);
  if (name === undefined) return octal03(mode);
  const parts = name ? [name] : [];
  for (const [bit, special] of SPECIAL_BITS) if (mode & bit) parts.push(special);
  parts.push(octal03(mode & ~(S_IFMT | K.S_ISUID | K.S_ISGID | K.S_ISVTX)));
  return parts.join('|');
}

/** A device number as strace prints it: makedev(0x1, 0x3). */
export function makedev(dev: bigint): string {
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  return `makedev(${hexNumber(major)}, ${hexNumber(minor)})`;
}

/** mknod(2)'s mode (an unsigned short to the kernel): S_IFIFO|0666. */
export function mknodMode(value: number): Decoded {
  return same(fileTypeAndMode(value & 0xffff));
}

/** Whether a mode is a character or block device's: a device number goes with it (mknod's
 * argument, stat's st_rdev). */
export function isDeviceMode(mode: number): boolean {
  const type = mode & S_IFMT;
  return type === S_IFCHR || type === S_IFBLK;
}

/** mknod(2)'s device: makedev(0x1, 0x3). */
export function mknodDevice(value: number): Decoded {
  return same(makedev(BigInt(value >>> 0)));
}
