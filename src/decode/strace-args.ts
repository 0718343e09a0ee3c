// Where strace shows a syscall's arguments differently from their raw registers: arguments it
// leaves out because the call ignores them (openat's mode without O_CREAT, futex's unused
// ones), and numbers it writes in hex (mmap offsets, addresses passed as integers).
import type { Capture, SyscallCall } from '../pair/call-pairer';
import { bpftrace_ts } from '../generated/batch';
import { hex } from '../syscalls/raw-args';
import { syscallInfo } from '../syscalls/syscall-table';
import { isDeviceMode, openFlags } from './fs';
import { CLONE, CSIGNAL, cloneFlags } from './process';
import { FUTEX_OPERATION_MASK, futexOp } from './events';
import { enumName, hexNumber, tableValue } from './symbols';
import { quoteBytes, type HexMode } from './quote';
import { clone3Result, clone3WritesBack } from './structs';
import { signalName } from './siginfo';
import { KERNEL_VALUES as K } from '../generated/flag-tables';
import { TASK_COMM_LEN } from '../generated/kernel-constants';

const { O_CREAT, O_TMPFILE_BIT } = K;
/** fcntl commands that take no third argument. */
const FCNTL_NO_ARG = new Set(['F_GETFD', 'F_GETFL', 'F_GETOWN', 'F_GETSIG', 'F_GETLEASE', 'F_GETPIPE_SZ', 'F_GET_SEALS'].map((name) => tableValue('fcntl_cmd', name)));

/** How many of the call's arguments strace prints. */
export function shownArgCount(nr: number, args: readonly number[], count: number): number {
  switch (syscallInfo(nr)?.name) {
    case 'open':
      return args[1] & (O_CREAT | O_TMPFILE_BIT) ? 3 : 2;
    case 'openat':
      return args[2] & (O_CREAT | O_TMPFILE_BIT) ? 4 : 3;
    case 'fcntl':
      return FCNTL_NO_ARG.has(args[1]) ? 2 : count;
    case 'ioctl':
      return IOCTL_NO_ARG.has(enumName('ioctl_request', args[1] >>> 0) ?? '') ? 2 : count;
    case 'mremap': // the new address only where the call takes it
      return (args[3] & MREMAP_MAYMOVE_FIXED) === MREMAP_MAYMOVE_FIXED ? 5 : 4;
    case 'mknod': // the device only for a device file
      return isDeviceMode(args[1]) ? 3 : 2;
    case 'mknodat':
      return isDeviceMode(args[2]) ? 4 : 3;
    default:
      return count;
  }
}

const MREMAP_MAYMOVE_FIXED = tableValue('mremap_flags', 'MREMAP_MAYMOVE') | tableValue('mremap_flags', 'MREMAP_FIXED');

/** ioctl requests that take no argument: strace shows none. */
const IOCTL_NO_ARG = new Set(['FIOCLEX', 'FIONCLEX', 'TIOCNOTTY']);
/** ioctl requests whose argument is an int passed by value (FICLONE's source descriptor). */
const IOCTL_INT_ARG = new Set(['FICLONE']);

/** Sizes whose names read as flags (the mask's size): strace writes them in decimal. */
const DECIMAL_ARGS = new Set(['signalfd.sizemask', 'signalfd4.sizemask']);

/** An argument strace writes otherwise than its C type says; undefined for the rest. */
export function straceArgText(nr: number, index: number, args: readonly number[]): string | undefined {
  const info = syscallInfo(nr);
  if (info?.name === 'ioctl' && index === 2 && IOCTL_INT_ARG.has(enumName('ioctl_request', args[1] >>> 0) ?? ''))
    return String(args[2] | 0);
  if (info && DECIMAL_ARGS.has(`${info.name}.${info.args[index]?.name}`)) return String(args[index]);
  return undefined;
}

/** Buffers strace always writes in hex: random bytes are not text. */
export const HEX_BUFFERS = new Set(['getrandom']);

/** Integer arguments strace writes in hex (as C's %#lx: 0 stays 0): `syscall.argument`. */
const HEX_ARGS = new Set(['mmap.off', 'arch_prctl.arg2', 'rseq.rseq_len', 'rseq.sig', 'pkey_alloc.flags']);

export function isHexArg(nr: number, index: number): boolean {
  const info = syscallInfo(nr);
  return info !== undefined && HEX_ARGS.has(`${info.name}.${info.args[index]?.name}`);
}

const { F_GETFD, F_GETFL, FD_CLOEXEC } = K;

/** What strace adds to some results: fcntl(F_GETFL) = 0x8002 (flags O_RDWR|O_LARGEFILE),
 * rt_sigtimedwait's = 17 (SIGCHLD), sched_getscheduler's = 0 (SCHED_OTHER). */
export function returnNote(nr: number, args: readonly number[] | null, ret: number): string {
  if (args && ret >= 0 && syscallInfo(nr)?.name === 'prctl') return prctlReturnNote(args, ret);
  if (ret > 0 && syscallInfo(nr)?.name === 'rt_sigtimedwait') return ` (${signalName(ret)})`;
  if (ret >= 0 && syscallInfo(nr)?.name === 'sched_getscheduler') {
    const policy = enumName('sched_policy', ret);
    return policy ? ` (${policy})` : '';
  }
  if (!args || ret < 0 || syscallInfo(nr)?.name !== 'fcntl') return '';
  if (args[1] === F_GETFL) return ` (flags ${openFlags(ret).strace})`; // 0: (flags O_RDONLY)
  if (args[1] === F_GETFD && ret === FD_CLOEXEC) return ' (flags FD_CLOEXEC)';
  return '';
}

/** Results strace writes in octal: umask's old mask. */
export function isOctalReturn(nr: number): boolean {
  return syscallInfo(nr)?.name === 'umask';
}

/** Results strace writes in hex. */
export function isHexReturn(nr: number, args: readonly number[] | null): boolean {
  return args !== null && syscallInfo(nr)?.name === 'fcntl' && (args[1] === F_GETFL || args[1] === F_GETFD);
}

/** A call whose argument list strace writes in a shape of its own: what it prints at the entry
 * (shown before `<unfinished ...>`) and what it adds at the exit (after `resumed>`). */
export interface SplitArgs {
  entry: string;
  exit: string;
}

const { CaptureFlag, CaptureKind } = bpftrace_ts;

const address = (value: number): string => (value === 0 ? 'NULL' : '0x' + hex(value));

/** The call's copy of argument arg of this kind at the exit, unless it faulted. */
const exitCopy = (call: SyscallCall, arg: number, kind: number): Uint8Array | undefined =>
  call.captures?.find((item) => item.arg === arg && item.kind === kind && (item.flags & CaptureFlag.CAPTURE_AT_EXIT) !== 0 &&
    !(item.flags & CaptureFlag.CAPTURE_FAULT))?.data;

/** clone(flags, stack, parent_tid, child_tid, tls) as strace names its arguments:
 * clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f...).
 * parent_tid is what the kernel stored there: the id the call returns (CLONE_PARENT_SETTID),
 * or the pidfd, copied at the exit (CLONE_PIDFD). */
function cloneArgs(call: SyscallCall, ret: number | null): SplitArgs {
  const args = call.args ?? [];
  const flagBits = args[0] & ~CSIGNAL;
  const entry = `child_stack=${address(args[1])}, flags=${cloneFlags(args[0]).strace}`;
  let exit = '';
  if (flagBits & (CLONE.PARENT_SETTID | CLONE.PIDFD)) {
    const pidfd = ret !== null && ret > 0 && flagBits & CLONE.PIDFD ? exitCopy(call, 2, CaptureKind.CAPTURE_STRUCT) : undefined;
    const stored = flagBits & CLONE.PARENT_SETTID ? ret : pidfd && pidfd.length >= 4 ? new DataView(pidfd.buffer, pidfd.byteOffset, 4).getInt32(0, true) : null;
    exit += `, parent_tid=${stored !== null && ret !== null && ret > 0 ? `[${stored}]` : address(args[2])}`;
  }
  if (flagBits & CLONE.SETTLS) exit += `, tls=${address(args[4])}`;
  if (flagBits & (CLONE.CHILD_SETTID | CLONE.CHILD_CLEARTID)) exit += `, child_tidptr=${address(args[3])}`;
  return { entry, exit };
}

/** clone3(args, size): the struct at the entry and, when the kernel writes into it, what it
 * wrote (` => {parent_tid=[N]}`) at the exit; then the size. */
function clone3Args(call: SyscallCall, captured: readonly (string | undefined)[], bytes: Uint8Array | undefined): SplitArgs {
  const args = call.args ?? [];
  const struct = captured[0] ?? address(args[0]);
  const size = String(args[1]);
  if (!bytes || !clone3WritesBack(bytes)) return { entry: `${struct}, ${size}`, exit: '' };
  const written = call.state === 'returned' && call.ret !== null && call.ret > 0
    ? clone3Result(bytes, call.ret, exitCopy(call, 0, CaptureKind.CAPTURE_POINTEE)) : undefined;
  return { entry: struct, exit: `${written ? ` => ${written}` : ''}, ${size}` };
}

const FUTEX = { WAIT: 0, WAKE: 1, FD: 2, REQUEUE: 3, CMP_REQUEUE: 4, WAKE_OP: 5, LOCK_PI: 6, UNLOCK_PI: 7, TRYLOCK_PI: 8,
  WAIT_BITSET: 9, WAKE_BITSET: 10, WAIT_REQUEUE_PI: 11, CMP_REQUEUE_PI: 12, LOCK_PI2: 13 } as const;
const FUTEX_WAKE_OPS = ['FUTEX_OP_SET', 'FUTEX_OP_ADD', 'FUTEX_OP_OR', 'FUTEX_OP_ANDN', 'FUTEX_OP_XOR'];
const FUTEX_WAKE_CMPS = ['FUTEX_OP_CMP_EQ', 'FUTEX_OP_CMP_NE', 'FUTEX_OP_CMP_LT', 'FUTEX_OP_CMP_LE', 'FUTEX_OP_CMP_GT', 'FUTEX_OP_CMP_GE'];

/** FUTEX_WAKE_OP's encoded operation: FUTEX_OP_SET<<28|0<<12|FUTEX_OP_CMP_GT<<24|0x1. */
function futexWakeOp(val3: number): string {
  const parts: string[] = [];
  const op = (val3 >>> 28) & 7;
  const cmp = (val3 >>> 24) & 0xf;
  if ((val3 >>> 28) & 8) parts.push('FUTEX_OP_OPARG_SHIFT<<28');
  parts.push(FUTEX_WAKE_OPS[op] ? `${FUTEX_WAKE_OPS[op]}<<28` : `${hexNumber(op)}<<28 /* FUTEX_OP_??? */`);
  parts.push(`${hexNumber((val3 >>> 12) & 0xfff)}<<12`);
  parts.push(FUTEX_WAKE_CMPS[cmp] ? `${FUTEX_WAKE_CMPS[cmp]}<<24` : `${hexNumber(cmp)}<<24 /* FUTEX_OP_CMP_??? */`);
  parts.push(hexNumber(val3 & 0xfff));
  return parts.join('|');
}

/** futex with the arguments its operation reads, as strace 6.1 prints them (uaddr2 and val3
 * only where they mean something; the bitset of the BITSET operations by name). */
function futexArgs(args: readonly number[], captured: readonly (string | undefined)[]): SplitArgs {
  const val = String(args[2] >>> 0);
  const val2 = String(args[3] >>> 0);
  const val3 = args[5] >>> 0;
  const timeout = captured[3] ?? address(args[3]);
  const bitset = val3 === K.FUTEX_BITSET_MATCH_ANY ? 'FUTEX_BITSET_MATCH_ANY' : hexNumber(val3);
  const uaddr2 = address(args[4]);
  let rest: string[];
  switch (args[1] & FUTEX_OPERATION_MASK) {
    case FUTEX.WAIT: rest = [val, timeout]; break;
    case FUTEX.LOCK_PI: case FUTEX.LOCK_PI2: rest = [timeout]; break;
    case FUTEX.WAIT_BITSET: rest = [val, timeout, bitset]; break;
    case FUTEX.WAKE_BITSET: rest = [val, bitset]; break;
    case FUTEX.REQUEUE: rest = [val, val2, uaddr2]; break;
    case FUTEX.CMP_REQUEUE: case FUTEX.CMP_REQUEUE_PI: rest = [val, val2, uaddr2, String(val3)]; break;
    case FUTEX.WAKE_OP: rest = [val, val2, uaddr2, futexWakeOp(val3)]; break;
    case FUTEX.WAIT_REQUEUE_PI: rest = [val, timeout, uaddr2]; break;
    case FUTEX.FD: case FUTEX.WAKE: rest = [val]; break;
    case FUTEX.UNLOCK_PI: case FUTEX.TRYLOCK_PI: rest = []; break;
    default: rest = [val, address(args[3]), uaddr2, hexNumber(val3)];
  }
  return { entry: [address(args[0]), futexOp(args[1]).strace, ...rest].join(', '), exit: '' };
}

const PR = {
  SET_PDEATHSIG: 1, GET_DUMPABLE: 3, SET_DUMPABLE: 4, GET_KEEPCAPS: 7, SET_KEEPCAPS: 8, SET_FPEMU: 10, SET_FPEXC: 12,
  GET_TIMING: 13, SET_TIMING: 14, SET_NAME: 15, SET_ENDIAN: 20, GET_SECCOMP: 21, CAPBSET_READ: 23, CAPBSET_DROP: 24,
  SET_TIMERSLACK: 29, GET_TIMERSLACK: 30, TASK_PERF_EVENTS_DISABLE: 31, TASK_PERF_EVENTS_ENABLE: 32,
  SET_CHILD_SUBREAPER: 36, SET_NO_NEW_PRIVS: 38, GET_NO_NEW_PRIVS: 39, SET_THP_DISABLE: 41, GET_THP_DISABLE: 42,
  GET_IO_FLUSHER: 58, SET_IO_FLUSHER: 57, SET_PTRACER: 0x59616d61,
  GET_PDEATHSIG: 2, GET_NAME: 16, SET_SECCOMP: 22, GET_CHILD_SUBREAPER: 37, CAP_AMBIENT: 47, SET_VMA: 0x53564d41, SET_MM: 35,
} as const;
const { PR_CAP_AMBIENT_CLEAR_ALL, PR_SET_VMA_ANON_NAME, SECCOMP_MODE_STRICT, SECCOMP_MODE_FILTER } = K;
/** struct sock_fprog: len (u16), then the filter's address at byte 8. */
const SOCK_FPROG_SIZE = K.SIZEOF_SOCK_FPROG;
const SUID_DUMP = ['SUID_DUMP_DISABLE', 'SUID_DUMP_USER', 'SUID_DUMP_ROOT'];
/** The bytes of a name PR_SET_NAME takes. */
const COMM_MAX = TASK_COMM_LEN - 1;

/** A number strace prints with printxval64: its name, or hex and the unknown's comment. */
const xval64 = (name: string | undefined, value: number, unknown: string): string => name ?? `${hexNumber(value)} /* ${unknown} */`;

/** The prctl captures an option reads (src/syscalls/capture-rules.ts copies these for every prctl):
 * PR_SET_NAME's name, what PR_GET_NAME, PR_GET_PDEATHSIG and PR_GET_CHILD_SUBREAPER return,
 * PR_SET_SECCOMP's filter program, PR_SET_VMA's name. */
export function prctlCaptureUsed(args: readonly number[] | null, item: Capture): boolean {
  const option = (args?.[0] ?? -1) >>> 0;
  const atExit = (item.flags & CaptureFlag.CAPTURE_AT_EXIT) !== 0;
  const isString = item.kind === CaptureKind.CAPTURE_STRING;
  switch (item.arg) {
    case 1:
      if (!atExit) return isString && option === PR.SET_NAME;
      return isString ? option === PR.GET_NAME : option === PR.GET_PDEATHSIG || option === PR.GET_CHILD_SUBREAPER;
    case 2: return !atExit && option === PR.SET_SECCOMP && args?.[1] === SECCOMP_MODE_FILTER;
    case 4: return !atExit && isString && option === PR.SET_VMA && args?.[1] === PR_SET_VMA_ANON_NAME;
    default: return false;
  }
}

/** The prctl capture of argument arg that the option reads, undefined if it faulted (or, at the
 * exit, if the call failed: the kernel wrote nothing). */
function prctlCapture(call: SyscallCall, arg: number, atExit: boolean): Capture | undefined {
  if (atExit && !(call.state === 'returned' && call.ret !== null && call.ret >= 0)) return undefined;
  return call.captures?.find((c) => c.arg === arg && ((c.flags & CaptureFlag.CAPTURE_AT_EXIT) !== 0) === atExit &&
    !(c.flags & CaptureFlag.CAPTURE_FAULT) && prctlCaptureUsed(call.args, c));
}

/** An int the kernel wrote at the argument, as strace prints it: [SIGKILL], [0]; the pointer if not copied. */
function prctlIntResult(call: SyscallCall, arg: number, text: (value: number) => string): string {
  const data = prctlCapture(call, arg, true)?.data;
  if (!data || data.length < 4) return address(call.args?.[arg] ?? 0);
  return `[${text(new DataView(data.buffer, data.byteOffset, 4).getInt32(0, true))}]`;
}

/** A string argument as strace's printstr: at most limit bytes, then `...`; NULL, or the pointer if not copied. */
function prctlString(call: SyscallCall, arg: number, atExit: boolean, limit: number, hexMode: HexMode): string {
  const data = prctlCapture(call, arg, atExit)?.data;
  if (!data) return address(call.args?.[arg] ?? 0);
  const end = data.indexOf(0);
  const length = end >= 0 ? end : data.length;
  return quoteBytes(data.subarray(0, Math.min(length, limit)), length > limit, hexMode);
}

/** PR_SET_SECCOMP's filter program without -v: {len=1, filter=0x...}. */
function seccompProgram(call: SyscallCall): string {
  const data = prctlCapture(call, 2, false)?.data;
  if (!data || data.length < SOCK_FPROG_SIZE) return address(call.args?.[2] ?? 0);
  const view = new DataView(data.buffer, data.byteOffset, SOCK_FPROG_SIZE);
  const filter = view.getBigUint64(8, true);
  return `{len=${view.getUint16(0, true)}, filter=${filter === 0n ? 'NULL' : '0x' + filter.toString(16)}}`;
}

/** prctl with the arguments its option reads, as strace 6.1 prints them, for the options
 * decoded here; undefined (each argument shown raw) for the others. */
function prctlArgs(call: SyscallCall, hexMode: HexMode, stringLimit: number): SplitArgs | undefined {
  const args = call.args ?? [];
  const option = args[0] >>> 0;
  const head = enumName('prctl_option', option) ?? hexNumber(option);
  const u = (i: number): string => String(args[i]);
  // strace's print_prctl_args: the rest in hex.
  const restHex = (from: number): string[] => args.slice(from, 5).map((value) => hexNumber(value));
  let rest: string[];
  switch (option) {
    case PR.GET_KEEPCAPS: case PR.GET_SECCOMP: case PR.GET_TIMERSLACK: case PR.GET_TIMING:
    case PR.TASK_PERF_EVENTS_DISABLE: case PR.TASK_PERF_EVENTS_ENABLE: case PR.GET_DUMPABLE:
      rest = []; break;
    case PR.SET_CHILD_SUBREAPER: case PR.SET_ENDIAN: case PR.SET_FPEMU: case PR.SET_FPEXC: case PR.SET_KEEPCAPS: case PR.SET_TIMING:
      rest = [u(1)]; break;
    case PR.SET_DUMPABLE: rest = [xval64(SUID_DUMP[args[1]], args[1], 'SUID_DUMP_???')]; break;
    case PR.CAPBSET_READ: case PR.CAPBSET_DROP: rest = [xval64(enumName('capability', args[1]), args[1], 'CAP_???')]; break;
    case PR.SET_PDEATHSIG: rest = [args[1] > 128 ? u(1) : enumName('signals', args[1]) ?? u(1)]; break;
    case PR.SET_PTRACER: rest = [(args[1] | 0) === -1 ? 'PR_SET_PTRACER_ANY' : String(args[1] | 0)]; break;
    case PR.SET_TIMERSLACK: rest = [String(args[1])]; break;
    case PR.SET_NAME: {
      const nameText = commText(call, hexMode);
      if (nameText === undefined) return undefined;
      rest = [nameText]; break;
    }
    case PR.GET_NAME: rest = [prctlString(call, 1, true, COMM_MAX + 1, hexMode)]; break;
    case PR.GET_PDEATHSIG: rest = [prctlIntResult(call, 1, (v) => (v > 0 && enumName('signals', v)) || String(v))]; break;
    case PR.GET_CHILD_SUBREAPER: rest = [prctlIntResult(call, 1, (v) => String(v >>> 0))]; break;
    case PR.CAP_AMBIENT:
      rest = [xval64(enumName('pr_cap_ambient', args[1]), args[1], 'PR_CAP_AMBIENT_???')];
      if (args[1] >= 1 && args[1] < PR_CAP_AMBIENT_CLEAR_ALL) rest.push(xval64(enumName('capability', args[2]), args[2], 'CAP_???'), ...restHex(3));
      else rest.push(...restHex(2));
      break;
    case PR.SET_VMA:
      rest = [xval64(enumName('pr_set_vma', args[1]), args[1], 'PR_SET_VMA_???')];
      if (args[1] === PR_SET_VMA_ANON_NAME) rest.push(address(args[2]), String(args[3]), prctlString(call, 4, false, stringLimit, hexMode));
      else rest.push(...restHex(2));
      break;
    case PR.SET_MM: rest = [xval64(enumName('pr_set_mm', args[1]), args[1], 'PR_SET_MM_???'), ...restHex(2)]; break;
    case PR.SET_SECCOMP:
      rest = [xval64(enumName('seccomp_mode', args[1]), args[1], 'SECCOMP_MODE_???')];
      if (args[1] === SECCOMP_MODE_FILTER) rest.push(seccompProgram(call));
      else if (args[1] !== SECCOMP_MODE_STRICT) rest.push(...restHex(2));
      break;
    case PR.SET_NO_NEW_PRIVS: case PR.SET_THP_DISABLE: case PR.SET_IO_FLUSHER: rest = [u(1), ...restHex(2)]; break;
    case PR.GET_NO_NEW_PRIVS: case PR.GET_THP_DISABLE: case PR.GET_IO_FLUSHER: rest = restHex(1); break;
    default: return undefined;
  }
  return { entry: [head, ...rest].join(', '), exit: '' };
}

/** PR_SET_NAME's name as strace prints it: at most 15 bytes, then `...` if it goes on. */
function commText(call: SyscallCall, hexMode: HexMode): string | undefined {
  const item = prctlCapture(call, 1, false);
  if (!item) return undefined;
  const end = item.data.indexOf(0);
  const length = end >= 0 ? end : item.data.length;
  return quoteBytes(item.data.subarray(0, Math.min(length, COMM_MAX)), length > COMM_MAX, hexMode);
}

/** What strace adds after prctl's result: PR_GET_DUMPABLE's = 1 (SUID_DUMP_USER). */
function prctlReturnNote(args: readonly number[], ret: number): string {
  if (args[0] >>> 0 === PR.GET_DUMPABLE && SUID_DUMP[ret]) return ` (${SUID_DUMP[ret]})`;
  return '';
}

/** The split argument list of the calls strace writes in their own shape; undefined for the rest. */
export function splitArgs(call: SyscallCall, captured: readonly (string | undefined)[], hexMode: HexMode,
  stringLimit: number): SplitArgs | undefined {
  if (!call.args) return undefined;
  switch (syscallInfo(call.nr)?.name) {
    case 'clone':
      return cloneArgs(call, call.state === 'returned' ? call.ret : null);
    case 'futex':
      return futexArgs(call.args, captured);
    case 'prctl':
      return prctlArgs(call, hexMode, stringLimit);
    case 'rt_sigreturn': // no argument of its own: the mask it restores, when copied
      return captured[0] === undefined ? undefined : { entry: captured[0], exit: '' };
    case 'clone3':
      return clone3Args(call, captured, call.captures?.find((item) => item.arg === 0 && item.kind === CaptureKind.CAPTURE_STRUCT &&
        !(item.flags & CaptureFlag.CAPTURE_FAULT))?.data);
    default:
      return undefined;
  }
}
