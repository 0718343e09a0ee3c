// Structs copied from the traced program (x86_64 layouts), printed as strace prints them:
// {st_mode=S_IFREG|0644, st_size=2996, ...}, {tv_sec=1, tv_nsec=0}, [{fd=3, events=POLLIN}].
// Pure functions of the bytes; a struct shorter than its layout shows what is there.
import { enumName, flagNames, flags, hexNumber, userOrGroupIdText, type Decoded } from './symbols';
import { CLONE } from './process';
import { CPUSET_SIZE } from '../syscalls/capture-rules';
import { fileTypeAndMode, isDeviceMode, makedev, openFlags, statxMask } from './fs';
import { KERNEL_VALUES as K } from '../generated/flag-tables';
import { FLAG_TABLES } from '../generated/flag-tables';
import { clockTicksText } from './siginfo';

/** Little-endian reads that say when the bytes ran out. */
class Fields {
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  has(offset: number, size: number): boolean {
    return offset + size <= this.bytes.length;
  }
  u16(offset: number): number { return this.view.getUint16(offset, true); }
  u32(offset: number): number { return this.view.getUint32(offset, true); }
  s32(offset: number): number { return this.view.getInt32(offset, true); }
  /** Exact below 2^53, which covers sizes, times and counts; bigint for the rest. */
  u64(offset: number): bigint { return this.view.getBigUint64(offset, true); }
  s64(offset: number): bigint { return this.view.getBigInt64(offset, true); }
  cString(offset: number, size: number): string {
    const field = this.bytes.subarray(offset, Math.min(offset + size, this.bytes.length));
    const end = field.indexOf(0);
    return Buffer.from(end >= 0 ? field.subarray(0, end) : field).toString('latin1');
  }
}

const hexBig = (value: bigint): string => (value === 0n ? 'NULL' : '0x' + value.toString(16));
const quoted = (text: string): string => JSON.stringify(text);
/** Bytes of no known layout: "\x01\x02". */
const hexQuoted = (bytes: Uint8Array): string => '"' + [...bytes].map((b) => '\\x' + b.toString(16).padStart(2, '0')).join('') + '"';

// --- files ---

/** struct stat: the type and mode, the device of a device file, the size. */
export function stat(bytes: Uint8Array): string {
  const f = new Fields(bytes);
  if (!f.has(0, 56)) return '{...}';
  const mode = f.u32(24);
  const second = isDeviceMode(mode) ? `st_rdev=${makedev(f.u64(40))}` : `st_size=${f.s64(48)}`;
  return `{st_mode=${fileTypeAndMode(mode)}, ${second}, ...}`;
}

/** struct statx: the mask of what was filled, the type and mode, the size. */
export function statx(bytes: Uint8Array): string {
  const f = new Fields(bytes);
  if (!f.has(0, 48)) return '{...}';
  return `{stx_mask=${statxMask(f.u32(0)).strace}, stx_attributes=${flags('statx_attributes', Number(f.u64(8))).strace}, ` +
    `stx_mode=${fileTypeAndMode(f.u16(28))}, stx_size=${f.u64(40)}, ...}`;
}

/** struct open_how (openat2). */
export function openHow(bytes: Uint8Array): string {
  const f = new Fields(bytes);
  if (!f.has(0, 24)) return '{...}';
  return `{flags=${openFlags(Number(f.u64(0) & 0xffffffffn)).strace}, mode=0${f.u64(8).toString(8)}, resolve=0x${f.u64(16).toString(16)}}`;
}

/** An enumeration field as strace prints it: its name, or the value in hex and a comment naming the unknown. */
function xval(table: Parameters<typeof enumName>[0], value: number, unknown: string): string {
  return enumName(table, value) ?? `0x${value.toString(16)} /* ${unknown} */`;
}

/** struct flock: what F_SETLK and the like pass; with getlk, what F_GETLK returns (and l_pid). */
export function flock(bytes: Uint8Array, getlk: boolean): string {
  const f = new Fields(bytes);
  if (!f.has(0, 32)) return '{...}';
  const pid = getlk ? `, l_pid=${f.s32(24)}` : '';
  return `{l_type=${xval('lock_type', f.u16(0), 'F_???')}, l_whence=${xval('seek_whence', f.u16(2), 'SEEK_???')}, ` +
    `l_start=${f.s64(8)}, l_len=${f.s64(16)}${pid}}`;
}

/** struct statfs (x86_64, 120 bytes) as strace prints it; f_flags only when ST_VALID says
 * the kernel filled them. */
export function statfs(bytes: Uint8Array): string | undefined {
  const f = new Fields(bytes);
  if (!f.has(0, 88)) return undefined;
  const type = Number(f.u64(0));
  const counts = ['f_bsize', 'f_blocks', 'f_bfree', 'f_bavail', 'f_files', 'f_ffree'].map((name, i) => `${name}=${f.u64(8 + 8 * i)}`);
  const fsid = `f_fsid={val=[${hexNumber(f.u32(56))}, ${hexNumber(f.u32(60))}]}`;
  const flagsValue = Number(f.u64(80));
  const flagsText = flagsValue & K.ST_VALID ? `, f_flags=${flags('statfs_flags', flagsValue).strace}` : '';
  return `{f_type=${enumName('fs_magic', type) ?? '0x' + type.toString(16)}, ${counts.join(', ')}, ${fsid}, ` +
    `f_namelen=${f.u64(64)}, f_frsize=${f.u64(72)}${flagsText}}`;
}

// --- time ---

const UTIME_NOW = (1n << 30n) - 1n;
const UTIME_OMIT = (1n << 30n) - 2n;

export function timespec(bytes: Uint8Array, offset = 0): string {
  const f = new Fields(bytes);
  if (!f.has(offset, 16)) return '{...}';
  return `{tv_sec=${f.s64(offset)}, tv_nsec=${f.s64(offset + 8)}}`;
}

/** A time as strace comments it: local time, ISO 8601, nanoseconds when not 0, the zone's
 * offset (2020-01-01T00:00:00+0000). */
export function localTimeText(sec: bigint, nsec: bigint): string {
  const date = new Date(Number(sec) * 1000);
  if (Number.isNaN(date.getTime())) return '';
  const two = (n: number): string => String(n).padStart(2, '0');
  const offset = -date.getTimezoneOffset();
  const zone = `${offset < 0 ? '-' : '+'}${two(Math.floor(Math.abs(offset) / 60))}${two(Math.abs(offset) % 60)}`;
  const fraction = nsec !== 0n ? '.' + String(nsec).padStart(9, '0') : '';
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}T${two(date.getHours())}:` +
    `${two(date.getMinutes())}:${two(date.getSeconds())}${fraction}${zone}`;
}

/** utimensat's two times as strace 6.1 prints them: UTIME_NOW and UTIME_OMIT by name, others
 * with their date: [UTIME_OMIT, {tv_sec=1577836800, tv_nsec=0} /* 2020-01-01T00:00:00+0000 *\/]. */
export function timespecPair(bytes: Uint8Array): string | undefined {
  const f = new Fields(bytes);
  if (!f.has(0, 32)) return undefined;
  const one = (offset: number): string => {
    const nsec = f.s64(offset + 8);
    if (nsec === UTIME_NOW) return 'UTIME_NOW';
    if (nsec === UTIME_OMIT) return 'UTIME_OMIT';
    const sec = f.s64(offset);
    // strace has no date for 0 and for a tv_nsec out of range.
    const date = nsec >= 0n && nsec < 1000000000n && (sec !== 0n || nsec !== 0n) ? localTimeText(sec, nsec) : '';
    return timespec(bytes, offset) + (date ? ` /* ${date} */` : '');
  };
  return `[${one(0)}, ${one(16)}]`;
}

export function timeval(bytes: Uint8Array, offset = 0): string {
  const f = new Fields(bytes);
  if (!f.has(offset, 16)) return '{...}';
  return `{tv_sec=${f.s64(offset)}, tv_usec=${f.s64(offset + 8)}}`;
}

/** struct itimerval (setitimer, getitimer): two timevals. */
export function itimerval(bytes: Uint8Array): string {
  return `{it_interval=${timeval(bytes, 0)}, it_value=${timeval(bytes, 16)}}`;
}

/** struct tms (times). */
export function tms(bytes: Uint8Array): string {
  const f = new Fields(bytes);
  if (!f.has(0, 32)) return '{...}';
  return `{tms_utime=${clockTicksText(f.u64(0))}, tms_stime=${clockTicksText(f.u64(8))}, tms_cutime=${clockTicksText(f.u64(16))}, tms_cstime=${clockTicksText(f.u64(24))}}`;
}

/** A loff_t the program passes (splice's and copy_file_range's offsets): [0]. */
export function offset(bytes: Uint8Array): string | undefined {
  const f = new Fields(bytes);
  return f.has(0, 8) ? `[${f.s64(0)}]` : undefined;
}

export function itimerspec(bytes: Uint8Array): string {
  return `{it_interval=${timespec(bytes, 0)}, it_value=${timespec(bytes, 16)}}`;
}

const SIGEV = { SIGNAL: 0, THREAD: 2, THREAD_ID: 4 } as const;

/** A signal number as strace's signame: its name, SIG_0, or the number. */
const signalNumberText = (signo: number): string => (signo === 0 ? 'SIG_0' : enumName('signals', signo) ?? String(signo));

/** struct sigevent (timer_create): sigev_value only when its pointer is set, the signal by name
 * when the notification is one, the thread fields of the thread notifications. */
export function sigevent(bytes: Uint8Array): string {
  const f = new Fields(bytes);
  if (!f.has(0, 32)) return '{...}';
  const parts: string[] = [];
  const value = f.u64(0);
  if (value !== 0n) parts.push(`sigev_value={sival_int=${f.s32(0)}, sival_ptr=${hexBig(value)}}`);
  const notify = f.s32(12);
  const signalNotify = notify === SIGEV.SIGNAL || notify === SIGEV.THREAD || notify === SIGEV.THREAD_ID;
  parts.push(`sigev_signo=${signalNotify ? signalNumberText(f.s32(8)) : String(f.u32(8))}`);
  parts.push(`sigev_notify=${enumName('sigev_notify', notify) ?? `${hexNumber(notify >>> 0)} /* SIGEV_??? */`}`);
  if (notify === SIGEV.THREAD_ID) parts.push(`sigev_notify_thread_id=${f.s32(16)}`);
  if (notify === SIGEV.THREAD) parts.push(`sigev_notify_function=${hexBig(f.u64(16))}`, `sigev_notify_attributes=${hexBig(f.u64(24))}`);
  return `{${parts.join(', ')}}`;
}

/** An int the kernel wrote (timer_create's timer id): [0]. */
export function intResult(bytes: Uint8Array): string | undefined {
  const f = new Fields(bytes);
  return f.has(0, 4) ? `[${f.s32(0)}]` : undefined;
}

// --- processes and resources ---

const RLIM_INFINITY = (1n << 64n) - 1n;

function rlimitValue(value: bigint): string {
  if (value === RLIM_INFINITY) return 'RLIM64_INFINITY';
  return value > 0n && value % 1024n === 0n ? `${value / 1024n}*1024` : String(value);
}

/** struct rlimit (64-bit on x86_64, so strace names infinity RLIM64_INFINITY for every call). */
export function rlimit(bytes: Uint8Array): string {
  const f = new Fields(bytes);
  if (!f.has(0, 16)) return '{...}';
  return `{rlim_cur=${rlimitValue(f.u64(0))}, rlim_max=${rlimitValue(f.u64(8))}}`;
}

export function utsname(bytes: Uint8Array): string {
  const f = new Fields(bytes);
  return `{sysname=${quoted(f.cString(0, 65))}, nodename=${quoted(f.cString(65, 65))}, ...}`;
}

export function rusage(bytes: Uint8Array): string {
  return `{ru_utime=${timeval(bytes, 0)}, ru_stime=${timeval(bytes, 16)}, ...}`;
}

/** struct sysinfo, every field as strace prints it (x86_64 offsets; procs is a u16). */
export function sysinfo(bytes: Uint8Array): string {
  const f = new Fields(bytes);
  if (!f.has(0, 108)) return '{...}';
  const longs = ['totalram', 'freeram', 'sharedram', 'bufferram', 'totalswap', 'freeswap']
    .map((name, i) => `${name}=${f.u64(32 + 8 * i)}`).join(', ');
  return `{uptime=${f.s64(0)}, loads=[${f.u64(8)}, ${f.u64(16)}, ${f.u64(24)}], ${longs}, procs=${f.u16(80)}, `
    + `totalhigh=${f.u64(88)}, freehigh=${f.u64(96)}, mem_unit=${f.u32(104)}}`;
}

/** wait4's status as strace spells it: [{WIFEXITED(s) && WEXITSTATUS(s) == 0}]. */
export function waitStatus(bytes: Uint8Array): string {
  const f = new Fields(bytes);
  if (!f.has(0, 4)) return '[...]';
  const status = f.u32(0);
  const signal = (n: number): string => enumName('signals', n) ?? String(n);
  if ((status & 0x7f) === 0) return `[{WIFEXITED(s) && WEXITSTATUS(s) == ${(status >> 8) & 0xff}}]`;
  if ((status & 0xff) === 0x7f) return `[{WIFSTOPPED(s) && WSTOPSIG(s) == ${signal((status >> 8) & 0xff)}}]`;
  return `[{WIFSIGNALED(s) && WTERMSIG(s) == ${signal(status & 0x7f)}${status & 0x80 ? ' && WCOREDUMP(s)' : ''}}]`;
}

const CLONE_PIDFD = BigInt(CLONE.PIDFD);
const CLONE_SETTLS = BigInt(CLONE.SETTLS);
const CLONE_PARENT_SETTID = BigInt(CLONE.PARENT_SETTID);
const CLONE_CHILD_CLEARTID = BigInt(CLONE.CHILD_CLEARTID);
const CLONE_CHILD_SETTID = BigInt(CLONE.CHILD_SETTID);
const CLONE_INTO_CGROUP = BigInt(CLONE.INTO_CGROUP);

/** clone3's 64-bit flags: the clone_flags table's names, the bits above 32 included. */
function clone3Flags(value: bigint): string {
  const names: string[] = [];
  let rest = value;
  for (const [name, bit] of FLAG_TABLES.clone_flags.entries) {
    const b = BigInt(bit);
    if (b !== 0n && (rest & b) === b) {
      names.push(name);
      rest &= ~b;
    }
  }
  if (rest !== 0n) names.push('0x' + rest.toString(16));
  return names.length ? names.join('|') : '0';
}

/** clone3's struct clone_args as strace 6.1 prints it at the entry: the fields the flags use. */
export function cloneArgs(bytes: Uint8Array): string | undefined {
  const f = new Fields(bytes);
  if (!f.has(0, 64)) return undefined; // shorter than clone_args' first version: the pointer
  const flagsValue = f.u64(0);
  const parts = [`flags=${clone3Flags(flagsValue)}`];
  if (flagsValue & CLONE_PIDFD) parts.push(`pidfd=${hexBig(f.u64(8))}`);
  if (flagsValue & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)) parts.push(`child_tid=${hexBig(f.u64(16))}`);
  if (flagsValue & CLONE_PARENT_SETTID) parts.push(`parent_tid=${hexBig(f.u64(24))}`);
  const exitSignal = f.u64(32);
  parts.push(`exit_signal=${exitSignal < 0x7fffffffn ? (exitSignal === 0n ? '0' : enumName('signals', Number(exitSignal)) ?? String(exitSignal)) : exitSignal}`);
  const stackSize = f.u64(48);
  parts.push(`stack=${hexBig(f.u64(40))}`, `stack_size=${stackSize === 0n ? '0' : '0x' + stackSize.toString(16)}`);
  if (flagsValue & CLONE_SETTLS) parts.push(`tls=${hexBig(f.u64(56))}`);
  if (f.has(64, 16) && (f.u64(64) !== 0n || f.u64(72) !== 0n)) parts.push(`set_tid=${hexBig(f.u64(64))}`, `set_tid_size=${f.u64(72)}`);
  if (f.has(80, 8) && (f.u64(80) !== 0n || flagsValue & CLONE_INTO_CGROUP)) parts.push(`cgroup=${f.u64(80)}`);
  return `{${parts.join(', ')}}`;
}

/** Whether strace prints clone3's struct again after the call (` => {parent_tid=[N]}`). */
export function clone3WritesBack(bytes: Uint8Array): boolean {
  const f = new Fields(bytes);
  return f.has(0, 64) && (f.u64(0) & (CLONE_PIDFD | CLONE_PARENT_SETTID)) !== 0n;
}

/** What clone3 wrote into the program's memory, as strace reads it back: the pidfd where the
 * pidfd field points (its copy at the exit, or the pointer when there is none), and the
 * child's tid in parent_tid (the kernel stores there the id it returns). */
export function clone3Result(bytes: Uint8Array, ret: number, pidfd: Uint8Array | undefined): string | undefined {
  const f = new Fields(bytes);
  if (!f.has(0, 64) || ret <= 0) return undefined;
  const flagsValue = f.u64(0);
  const parts: string[] = [];
  if (flagsValue & CLONE_PIDFD) {
    const fd = pidfd && pidfd.length >= 4 ? new Fields(pidfd).s32(0) : undefined;
    parts.push(`pidfd=${fd === undefined ? hexBig(f.u64(8)) : `[${fd}]`}`);
  }
  if (flagsValue & CLONE_PARENT_SETTID) parts.push(`parent_tid=[${ret}]`);
  return parts.length ? `{${parts.join(', ')}}` : undefined;
}

/** pselect6's 6th argument, struct {const sigset_t *ss; size_t ss_len}, as strace 6.1 prints
 * it: {sigmask=[INT], sigsetsize=8}; the mask is its copy (mask), or the pointer when there is
 * none or the size is not a kernel sigset's. */
export function pselect6Sigmask(bytes: Uint8Array, mask: Uint8Array | undefined): string | undefined {
  const f = new Fields(bytes);
  if (!f.has(0, 16)) return undefined;
  const size = f.u64(8);
  const pointer = f.u64(0);
  const set = pointer !== 0n && size === 8n && mask && mask.length >= 8 ? sigset(mask) : hexBig(pointer);
  return `{sigmask=${set}, sigsetsize=${size}}`;
}

/** More than NGROUPS_MAX: strace shows the gid_t array as its address. */

/** A gid_t array of count elements (getgroups, setgroups): [0, 4, -1], the first `limit` (-s)
 * of them and `...` after; undefined (the pointer) for a count no call accepts. */
export function gids(bytes: Uint8Array, count: number, limit: number): string | undefined {
  if (count < 0 || count > K.NGROUPS_MAX) return undefined;
  const f = new Fields(bytes);
  const items: string[] = [];
  for (let i = 0; i < count && i < limit && f.has(i * 4, 4); i++) {
    items.push(userOrGroupIdText(f.u32(i * 4)));
  }
  if (items.length < count) items.push('...');
  return `[${items.join(', ')}]`;
}


/** A CPU mask of len bytes (sched_setaffinity's, or what sched_getaffinity returned) as
 * strace lists it: [0 1], with `...` when the mask is longer than strace reads. */
export function cpuSet(bytes: Uint8Array, len: number): string | undefined {
  if (len <= 0) return len === 0 ? '[]' : undefined;
  const read = Math.min(len, CPUSET_SIZE);
  const size = Math.ceil(read / 8) * 8;
  if (bytes.length < read) return undefined;
  const cpus: string[] = [];
  for (let cpu = 0; cpu < read * 8; cpu++) if (bytes[cpu >> 3] & (1 << (cpu & 7))) cpus.push(String(cpu));
  if (size < len) cpus.push('...');
  return `[${cpus.join(' ')}]`;
}

/** stack_t (sigaltstack): {ss_sp=0x7f..., ss_flags=0, ss_size=65536}. */
export function stackT(bytes: Uint8Array): string | undefined {
  const f = new Fields(bytes);
  if (!f.has(0, 24)) return undefined;
  return `{ss_sp=${hexBig(f.u64(0))}, ss_flags=${flags('sigaltstack_flags', f.u32(8)).strace}, ss_size=${f.u64(16)}}`;
}

/** struct __user_cap_header_struct: {version=_LINUX_CAPABILITY_VERSION_3, pid=0}. */
export function capHeader(bytes: Uint8Array): string | undefined {
  const f = new Fields(bytes);
  if (!f.has(0, 8)) return undefined;
  const version = f.u32(0);
  return `{version=${enumName('cap_version', version) ?? `0x${version.toString(16)} /* _LINUX_CAPABILITY_VERSION_??? */`}, pid=${f.s32(4)}}`;
}

/** One 32-bit word of a capability mask, bits base..base+31: 1<<CAP_CHOWN|1<<CAP_KILL. */
function capWord(word: number, base: number): string {
  const names: string[] = [];
  let rest = word >>> 0;
  for (let bit = 0; bit < 32; bit++) {
    const name = enumName('capability', base + bit);
    if (name && rest & (1 << bit)) {
      names.push(`1<<${name}`);
      rest = (rest & ~(1 << bit)) >>> 0;
    }
  }
  if (rest) names.push('0x' + rest.toString(16));
  return names.length ? names.join('|') : '0';
}


/** capget's and capset's data as strace prints it: {effective=..., permitted=..., inheritable=...},
 * two words for versions 2 and 3 (of the header), one for version 1. */
export function capData(bytes: Uint8Array, header: Uint8Array | undefined): string | undefined {
  if (!header || header.length < 8) return undefined;
  const h = new Fields(header);
  const version = h.u32(0);
  const words = version === K.CAP_VERSION_2 || version === K.CAP_VERSION_3 ? 2 : 1;
  const f = new Fields(bytes);
  if (!f.has(0, 12 * words)) return undefined;
  const set = (index: number): string => {
    const lo = f.u32(index * 4);
    const hi = words > 1 ? f.u32(12 + index * 4) : 0;
    if (!hi) return capWord(lo, 0);
    return lo ? `${capWord(lo, 0)}|${capWord(hi, 32)}` : capWord(hi, 32);
  };
  return `{effective=${set(0)}, permitted=${set(1)}, inheritable=${set(2)}}`;
}

// --- signals ---

/** A signal set: [INT TERM], or ~[...] of what is not in it when that is shorter. */
export function sigset(bytes: Uint8Array): string {
  const f = new Fields(bytes);
  if (!f.has(0, 8)) return '[...]';
  const mask = f.u64(0);
  const names = (inSet: boolean): string[] => {
    const out: string[] = [];
    for (let n = 1; n <= 64; n++) {
      if (((mask >> BigInt(n - 1)) & 1n) === (inSet ? 1n : 0n)) out.push((enumName('signals', n) ?? String(n)).replace(/^SIG/, ''));
    }
    return out;
  };
  const set = names(true);
  return set.length > 32 ? `~[${names(false).join(' ')}]` : `[${set.join(' ')}]`;
}

/** A 64-bit flags field as strace's printflags64: the names of the table's (32-bit) flags, then
 * every bit no name covers in one hex number (SA_RESTORER|0xffffffff00000000). */
function flags64(table: Parameters<typeof flags>[0], value: bigint): string {
  if (value === 0n) return '0';
  const { names, rest } = flagNames(table, Number(value & 0xffffffffn));
  const unnamed = (value >> 32n << 32n) | BigInt(rest);
  if (unnamed !== 0n) names.push('0x' + unnamed.toString(16));
  return names.join('|');
}

/** The kernel's struct sigaction on x86_64: handler, flags, restorer, mask. */
export function sigaction(bytes: Uint8Array): string {
  const f = new Fields(bytes);
  if (!f.has(0, 32)) return '{...}';
  const handler = f.u64(0);
  const handlerText = handler === 0n ? 'SIG_DFL' : handler === 1n ? 'SIG_IGN' : hexBig(handler);
  const saFlags = Number(f.u64(8) & 0xffffffffn);
  const text = `{sa_handler=${handlerText}, sa_mask=${sigset(bytes.subarray(24, 32))}, sa_flags=${flags64('sigaction_flags', f.u64(8))}`;
  return saFlags & K.SA_RESTORER ? `${text}, sa_restorer=${hexBig(f.u64(16))}}` : `${text}}`;
}

// --- descriptors and events ---

/** int[2] from pipe2 and socketpair: [3, 4]. */
export function fdPair(bytes: Uint8Array): string {
  const f = new Fields(bytes);
  return f.has(0, 8) ? `[${f.s32(0)}, ${f.s32(4)}]` : '[...]';
}

/** An fd_set of select: the fds below nfds whose bit is set, as strace lists them: [3 4]. */
export function fdSet(bytes: Uint8Array, nfds: number): string {
  const fds: number[] = [];
  const end = Math.min(nfds, bytes.length * 8);
  for (let fd = 0; fd < end; fd++) if (bytes[fd >> 3] & (1 << (fd & 7))) fds.push(fd);
  return `[${fds.join(' ')}]`;
}

/** poll's array at the entry, as strace's print_array: at most limit (-s) elements, then `...`;
 * an element with a negative fd without its events. nfds is how many the program passed. */
export function pollfds(bytes: Uint8Array, nfds: number, limit: number): string {
  const f = new Fields(bytes);
  const items: string[] = [];
  for (let offset = 0; f.has(offset, 8) && items.length < Math.min(nfds, limit); offset += 8) {
    const fd = f.s32(offset);
    items.push(fd < 0 ? `{fd=${fd}}` : `{fd=${fd}, events=${flags('poll_events', f.u16(offset + 4)).strace}}`);
  }
  if (items.length < nfds) items.push('...');
  return `[${items.join(', ')}]`;
}

/** The size of strace's buffer for poll's result text, and what it keeps free at its end
 * (2 + 2 * sizeof(long) + sizeof(", ], ...")): an entry that would reach that far is `...`. */
const POLL_RESULT_BUFFER = 1024;
const POLL_RESULT_RESERVE = 2 + 2 * 8 + 9;

/** poll's result as strace writes it after the return value: the fds with events, at most
 * limit (-s) of them and as many as fit its 1024-byte buffer, then `...`. undefined when the
 * bytes end before the text does (the copy was cut) or no fd has events. */
export function pollResult(bytes: Uint8Array, nfds: number, limit: number): string | undefined {
  const f = new Fields(bytes);
  let out = '';
  let printed = 0;
  for (let index = 0; index < nfds; index++) {
    const offset = index * 8;
    if (!f.has(offset, 8)) return undefined;
    const revents = f.u16(offset + 6);
    if (revents === 0) continue;
    out += out === '' ? '[' : ', ';
    if (printed >= limit) {
      out += '...';
      break;
    }
    const head = `{fd=${f.s32(offset)}, revents=`;
    const names = flags('poll_events', revents).strace;
    if (out.length + head.length + names.length + 1 >= POLL_RESULT_BUFFER - POLL_RESULT_RESERVE) {
      out += '...';
      break;
    }
    out += `${head}${names}}`;
    printed++;
  }
  return out === '' ? undefined : `${out}]`;
}

/** struct epoll_event (packed, 12 bytes); several in a row from epoll_wait. */
export function epollEvents(bytes: Uint8Array, array: boolean): string {
  const f = new Fields(bytes);
  const items: string[] = [];
  for (let offset = 0; f.has(offset, 12); offset += 12) {
    const data = f.u64(offset + 4);
    items.push(`{events=${flags('epoll_events', f.u32(offset)).strace}, data={u32=${data & 0xffffffffn}, u64=${data}}}`);
  }
  return array ? `[${items.join(', ')}]` : items[0] ?? '{...}';
}

/** An int option value ([1]), or the bytes in hex when it is not an int. */
export function intOrBytes(bytes: Uint8Array): string {
  const f = new Fields(bytes);
  if (bytes.length === 4) return `[${f.s32(0)}]`;
  return hexQuoted(bytes);
}

/** What a msghdr points to; null shows the pointer. */
export interface MsghdrParts {
  name: string | null;
  /** msg_namelen when it differs from the msghdr's own: the value before the call (128 => 16). */
  namelenBefore: number | null;
  iov: string | null;
  /** The control messages' bytes as copied (at most msg_controllen of them). */
  control: Uint8Array | null;
}

/** struct user_msghdr: {msg_name=..., msg_namelen=16, msg_iov=[...], msg_iovlen=1, msg_controllen=0, msg_flags=0}. */
export function msghdr(bytes: Uint8Array, parts: MsghdrParts): string {
  const f = new Fields(bytes);
  if (!f.has(0, 56)) return '{...}';
  const namelen = f.u32(8);
  const before = parts.namelenBefore !== null && parts.namelenBefore !== namelen ? `${parts.namelenBefore} => ` : '';
  const controllen = f.u64(40);
  // strace leaves msg_control out when there is none.
  const controlText = parts.control ? controlMessages(parts.control, Number(controllen)) : hexBig(f.u64(32));
  const control = controllen === 0n ? '' : `msg_control=${controlText}, `;
  return `{msg_name=${parts.name ?? hexBig(f.u64(0))}, msg_namelen=${before}${namelen}, msg_iov=${parts.iov ?? hexBig(f.u64(16))}, ` +
    `msg_iovlen=${f.u64(24)}, ${control}msg_controllen=${controllen}, msg_flags=${flags('msg_flags', f.u32(48)).strace}}`;
}

/** A msghdr the call failed with: only msg_namelen, which the program set (strace's form). */
export function msghdrNamelen(bytes: Uint8Array): string {
  const f = new Fields(bytes);
  return f.has(8, 4) ? `{msg_namelen=${f.u32(8)}}` : '{...}';
}

const { SIZEOF_CMSGHDR: CMSG_HEADER, SCM_RIGHTS, SCM_CREDENTIALS, SOL_SOCKET } = K;

function controlData(level: number, type: number, data: Uint8Array): string {
  const f = new Fields(data);
  if (level === SOL_SOCKET && type === SCM_RIGHTS) {
    const fds: number[] = [];
    for (let offset = 0; f.has(offset, 4); offset += 4) fds.push(f.s32(offset));
    return `[${fds.join(', ')}]`;
  }
  if (level === SOL_SOCKET && type === SCM_CREDENTIALS && f.has(0, 12))
    return `{pid=${f.s32(0)}, uid=${f.u32(4)}, gid=${f.u32(8)}}`;
  return hexQuoted(data);
}

/**
 * Control messages (cmsghdr records, 8-byte aligned): [{cmsg_len=20, cmsg_level=SOL_SOCKET,
 * cmsg_type=SCM_RIGHTS, cmsg_data=[3]}]. controllen is the whole length: more than the bytes
 * copied ends the list with "...".
 */
export function controlMessages(bytes: Uint8Array, controllen: number): string {
  const f = new Fields(bytes);
  const items: string[] = [];
  let offset = 0;
  while (f.has(offset, CMSG_HEADER)) {
    const length = Number(f.u64(offset));
    if (length < CMSG_HEADER) break;
    const level = f.s32(offset + 8);
    const type = f.s32(offset + 12);
    const levelName = enumName('sockopt_level', level) ?? String(level);
    const typeName = (level === SOL_SOCKET ? enumName('scm_type', type) : undefined) ?? `0x${type.toString(16)}`;
    const data = bytes.subarray(offset + CMSG_HEADER, Math.min(offset + length, bytes.length));
    items.push(`{cmsg_len=${length}, cmsg_level=${levelName}, cmsg_type=${typeName}, cmsg_data=${controlData(level, type, data)}}`);
    offset += (length + 7) & ~7;
  }
  if (controllen > bytes.length) items.push('...');
  return `[${items.join(', ')}]`;
}

/**
 * An iovec array with the data of each element: [{iov_base="hello", iov_len=5}]. total is
 * how many bytes the call moved in all (the return value of readv; all of them for writev):
 * an element shows "..." only when less of it was copied than it holds of that total.
 */
export function iovecs(vectors: Uint8Array, data: Uint8Array | null, total: number, limit: number,
  quote: (bytes: Uint8Array, cut: boolean) => string): string {
  const f = new Fields(vectors);
  const items: string[] = [];
  let taken = 0;
  let remaining = total;
  for (let offset = 0; f.has(offset, 16); offset += 16) {
    const length = f.u64(offset + 8);
    let base = hexBig(f.u64(offset));
    if (data) {
      const expected = Math.max(0, Math.min(remaining, Number(length)));
      const part = data.subarray(taken, taken + expected);
      taken += part.length;
      remaining -= expected;
      base = quote(part.subarray(0, Math.min(part.length, limit)), part.length < expected || part.length > limit);
    }
    items.push(`{iov_base=${base}, iov_len=${length}}`);
  }
  return `[${items.join(', ')}]`;
}

export type { Decoded };
