// Where strace shows a syscall's arguments differently from their raw registers: arguments it
// leaves out because the call ignores them (openat's mode without O_CREAT, futex's unused
// ones), and numbers it writes in hex (mmap offsets, addresses passed as integers).
import type { SyscallCall } from '../call-pairer';
import { bpftrace_ts } from '../generated/batch';
import { hex } from '../raw-args';
import { syscallInfo } from '../syscall-table';
import { openFlags } from './fs';
import { cloneFlags } from './process';
import { enumName } from './symbols';
import { clone3Result, clone3WritesBack } from './structs';

const O_CREAT = 0o100;
const O_TMPFILE_BIT = 0o20000000;
const FUTEX_CMD_MASK = 0x7f;
/** futex(2) arguments each operation reads: uaddr, op, val, then timeout/val2, uaddr2, val3. */
const FUTEX_ARGS: Record<number, number> = { 0: 4, 1: 3, 2: 3, 3: 5, 4: 6, 5: 6, 6: 4, 7: 2, 8: 4, 9: 6, 10: 6, 11: 5, 12: 5, 13: 4 };
/** fcntl commands that take no third argument. */
const FCNTL_NO_ARG = new Set([1 /* F_GETFD */, 3 /* F_GETFL */, 9 /* F_GETOWN */, 11 /* F_GETSIG */, 1025 /* F_GETLEASE */, 1032 /* F_GETPIPE_SZ */, 1034 /* F_GET_SEALS */]);

/** How many of the call's arguments strace prints. */
export function shownArgCount(nr: number, args: readonly number[], count: number): number {
  switch (syscallInfo(nr)?.name) {
    case 'open':
      return args[1] & (O_CREAT | O_TMPFILE_BIT) ? 3 : 2;
    case 'openat':
      return args[2] & (O_CREAT | O_TMPFILE_BIT) ? 4 : 3;
    case 'futex':
      return FUTEX_ARGS[args[1] & FUTEX_CMD_MASK] ?? count;
    case 'fcntl':
      return FCNTL_NO_ARG.has(args[1]) ? 2 : count;
    case 'ioctl':
      return IOCTL_NO_ARG.has(enumName('ioctl_request', args[1] >>> 0) ?? '') ? 2 : count;
    default:
      return count;
  }
}

/** ioctl requests that take no argument: strace shows none. */
const IOCTL_NO_ARG = new Set(['FIOCLEX', 'FIONCLEX', 'TIOCNOTTY']);
/** ioctl requests whose argument is an int passed by value (FICLONE's source descriptor). */
const IOCTL_INT_ARG = new Set(['FICLONE']);

/** An argument strace writes otherwise than its C type says; undefined for the rest. */
export function straceArgText(nr: number, index: number, args: readonly number[]): string | undefined {
  if (syscallInfo(nr)?.name === 'ioctl' && index === 2 && IOCTL_INT_ARG.has(enumName('ioctl_request', args[1] >>> 0) ?? ''))
    return String(args[2] | 0);
  return undefined;
}

/** Buffers strace always writes in hex: random bytes are not text. */
export const HEX_BUFFERS = new Set(['getrandom']);

/** Integer arguments strace writes in hex (as C's %#lx: 0 stays 0): `syscall.argument`. */
const HEX_ARGS = new Set(['mmap.off', 'arch_prctl.arg2', 'rseq.rseq_len', 'rseq.sig']);

export function isHexArg(nr: number, index: number): boolean {
  const info = syscallInfo(nr);
  return info !== undefined && HEX_ARGS.has(`${info.name}.${info.args[index]?.name}`);
}

const F_GETFD = 1;
const F_GETFL = 3;
const FD_CLOEXEC = 1;

/** What strace adds to some results: fcntl(F_GETFL) = 0x8002 (flags O_RDWR|O_LARGEFILE). */
export function returnNote(nr: number, args: readonly number[] | null, ret: number): string {
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

const { CaptureFlag } = bpftrace_ts;
const CLONE_PIDFD = 0x1000;
const CLONE_SETTLS = 0x80000;
const CLONE_PARENT_SETTID = 0x100000;
const CLONE_CHILD_CLEARTID = 0x200000;
const CLONE_CHILD_SETTID = 0x1000000;
const CSIGNAL = 0xff;

const address = (value: number): string => (value === 0 ? 'NULL' : '0x' + hex(value));

/** clone(flags, stack, parent_tid, child_tid, tls) as strace names its arguments:
 * clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f...).
 * parent_tid is what the kernel stored there: the id the call returns. */
function cloneArgs(args: readonly number[], ret: number | null): SplitArgs {
  const flagBits = args[0] & ~CSIGNAL;
  const entry = `child_stack=${address(args[1])}, flags=${cloneFlags(args[0]).strace}`;
  let exit = '';
  if (flagBits & (CLONE_PARENT_SETTID | CLONE_PIDFD))
    exit += `, parent_tid=${flagBits & CLONE_PARENT_SETTID && ret !== null && ret > 0 ? `[${ret}]` : address(args[2])}`;
  if (flagBits & CLONE_SETTLS) exit += `, tls=${address(args[4])}`;
  if (flagBits & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)) exit += `, child_tidptr=${address(args[3])}`;
  return { entry, exit };
}

/** clone3(args, size): the struct at the entry and, when the kernel writes into it, what it
 * wrote (` => {parent_tid=[N]}`) at the exit; then the size. */
function clone3Args(call: SyscallCall, captured: readonly (string | undefined)[], bytes: Uint8Array | undefined): SplitArgs {
  const args = call.args ?? [];
  const struct = captured[0] ?? address(args[0]);
  const size = String(args[1]);
  if (!bytes || !clone3WritesBack(bytes)) return { entry: `${struct}, ${size}`, exit: '' };
  const written = call.state === 'returned' && call.ret !== null && call.ret > 0 ? clone3Result(bytes, call.ret) : undefined;
  return { entry: struct, exit: `${written ? ` => ${written}` : ''}, ${size}` };
}

/** The split argument list of the calls strace writes in their own shape; undefined for the rest. */
export function splitArgs(call: SyscallCall, captured: readonly (string | undefined)[]): SplitArgs | undefined {
  if (!call.args) return undefined;
  switch (syscallInfo(call.nr)?.name) {
    case 'clone':
      return cloneArgs(call.args, call.state === 'returned' ? call.ret : null);
    case 'clone3':
      return clone3Args(call, captured, call.captures?.find((item) => item.arg === 0 && !(item.flags & CaptureFlag.CAPTURE_FAULT))?.data);
    default:
      return undefined;
  }
}
