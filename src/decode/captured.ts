// Arguments whose data was copied at the call (src/syscalls/capture-rules.ts), as strace prints them:
// strings and buffers quoted and cut at -s, argv arrays, envp counts, structs and socket
// addresses field by field. An argument without data, or whose copy failed, is left to the
// caller, which shows the pointer.
import { captureRules, type CaptureRule } from '../syscalls/capture-rules';
import type { Capture, SyscallCall } from '../pair/call-pairer';
import { bpftrace_ts } from '../generated/batch';
import { hex as rawHex } from '../syscalls/raw-args';
import { syscallInfo } from '../syscalls/syscall-table';
import { quoteBytes, quoteBytesJson, type HexMode } from './quote';
import { HEX_BUFFERS, prctlCaptureUsed } from './strace-args';
import { FCNTL_GETLK, FCNTL_SETLK } from './fs';
import { enumName } from './symbols';
import { sockaddr } from './sockaddr';
import { siginfoText } from './siginfo';
import * as structs from './structs';
import { KERNEL_VALUES as K } from '../generated/flag-tables';

const { CaptureKind, CaptureFlag } = bpftrace_ts;

export interface CaptureOptions {
  /** -s: bytes of each string and buffer shown. */
  stringLimit: number;
  hex: HexMode;
}

/** What an argument's data says, in the argument list and, for some calls, after the result. */
export interface CapturedArgs {
  /** By argument index; undefined: no data, show the raw value. */
  args: (string | undefined)[];
  /** Shown after the return value, as strace does for poll: ` ([{fd=3, revents=POLLIN}])`. */
  afterReturn: string | null;
}

let rulesByNr: Map<number, CaptureRule[]> | undefined;
/** A syscall's rules by argument and end, arg * 2 + (atExit ? 1 : 0): looked up for every item. */
const ruleSlots = new Map<number, (CaptureRule | undefined)[]>();

function ruleFor(nr: number, arg: number, atExit: boolean): CaptureRule | undefined {
  let slots = ruleSlots.get(nr);
  if (!slots) {
    rulesByNr ??= captureRules();
    slots = [];
    for (const rule of rulesByNr.get(nr) ?? []) slots[rule.arg * 2 + (rule.atExit ? 1 : 0)] ??= rule;
    ruleSlots.set(nr, slots);
  }
  return slots[arg * 2 + (atExit ? 1 : 0)];
}

/** Bytes shown inside their iovec array or msghdr, not as an argument of their own. */
const isPartOfArray = (rule: CaptureRule | undefined): boolean => rule?.source === 'iovec' || rule?.source === 'msghdr';

/** How many bytes the program passed or the kernel returned, of which data holds the first. */
function fullLength(call: SyscallCall, rule: CaptureRule | undefined, data: Uint8Array): number {
  const length = rule?.length;
  if (!length || !call.args) return data.length;
  if (length.from === 'arg') return call.args[length.arg] * length.elemSize;
  if (length.from === 'ret') return (call.ret ?? data.length) * length.elemSize;
  return data.length;
}

/** argv as strace shows it: at most `limit` (-s) elements, as many as it cuts each to. */
function stringArray(data: Uint8Array, truncated: boolean, limit: number, hex: HexMode): string {
  const items: string[] = [];
  let start = 0;
  while (start < data.length) {
    if (items.length >= limit) {
      truncated = true;
      break;
    }
    let end = data.indexOf(0, start);
    if (end < 0) end = data.length;
    const element = data.subarray(start, end);
    items.push(quoteBytes(element.subarray(0, Math.min(element.length, limit)), element.length > limit, hex));
    start = end + 1;
  }
  if (truncated) items.push('...');
  return `[${items.join(', ')}]`;
}

const TYPE_DECODERS: Record<string, (bytes: Uint8Array, atExit: boolean) => string | undefined> = {
  'struct stat *': structs.stat,
  'struct statx *': structs.statx,
  'struct open_how *': structs.openHow,
  'struct __kernel_timespec *': (b) => structs.timespec(b),
  'const struct __kernel_timespec *': (b) => structs.timespec(b),
  'struct __kernel_old_timeval *': (b) => structs.timeval(b),
  'const struct __kernel_itimerspec *': structs.itimerspec,
  'struct __kernel_itimerspec *': structs.itimerspec,
  'struct sigevent *': structs.sigevent,
  'struct __kernel_old_itimerval *': structs.itimerval,
  'struct tms *': structs.tms,
  'loff_t *': structs.offset,
  'timer_t *': structs.intResult,
  'struct rlimit *': structs.rlimit,
  'struct rlimit64 *': structs.rlimit,
  'const struct rlimit64 *': structs.rlimit,
  'struct new_utsname *': structs.utsname,
  'struct rusage *': structs.rusage,
  'struct sysinfo *': structs.sysinfo,
  'struct clone_args *': structs.cloneArgs,
  'sigset_t *': structs.sigset,
  'const sigset_t *': structs.sigset,
  'siginfo_t *': (b) => (b.length >= 48 ? siginfoText(b) : undefined),
  'struct siginfo *': (b) => (b.length >= 48 ? siginfoText(b) : undefined), // waitid's
  'struct sigaction *': structs.sigaction,
  'const struct sigaction *': structs.sigaction,
  'int *': structs.fdPair,
  'struct epoll_event *': (b, atExit) => structs.epollEvents(b, atExit),
  // Shorter than its family (an address length of 0): strace shows the pointer.
  'struct sockaddr *': (b) => (b.length < 2 ? undefined : sockaddr(b)),
  'char *': structs.intOrBytes, // setsockopt and getsockopt values
  'struct statfs *': structs.statfs,
  'const stack_t *': structs.stackT,
  'stack_t *': structs.stackT,
};

/** fcntl's lock: what F_SETLK passes (the entry's copy), what F_GETLK returns (the exit's);
 * other commands take no struct (their copy is of no address). */
function fcntlLock(bytes: Uint8Array, atExit: boolean, call: SyscallCall): string | undefined {
  const cmd = call.args?.[1] ?? -1;
  if (atExit ? FCNTL_GETLK.has(cmd) : FCNTL_SETLK.has(cmd)) return structs.flock(bytes, atExit);
  return undefined;
}

/** ioctl requests whose argument is an int the program passes, and one the kernel returns. */
const IOCTL_INT_IN = new Set(['FIONBIO', 'FIOASYNC', 'TIOCSPTLCK']);
const IOCTL_INT_OUT = new Set(['FIONREAD', 'TIOCGPTN']);

/** ioctl's int argument, [1], for the requests above; the pointer for the others. */
function ioctlInt(bytes: Uint8Array, atExit: boolean, call: SyscallCall): string | undefined {
  const request = enumName('ioctl_request', (call.args?.[1] ?? -1) >>> 0) ?? '';
  if (!(atExit ? IOCTL_INT_OUT : IOCTL_INT_IN).has(request) || bytes.length < 4) return undefined;
  return `[${new DataView(bytes.buffer, bytes.byteOffset, 4).getInt32(0, true)}]`;
}

/** The data of the same call's capture of another argument at the entry (capget's header). */
function entryData(call: SyscallCall, arg: number): Uint8Array | undefined {
  return call.captures?.find((item) => item.arg === arg && !(item.flags & (CaptureFlag.CAPTURE_FAULT | CaptureFlag.CAPTURE_AT_EXIT)))?.data;
}

/** The entry's copy of what a pointer inside argument arg's struct points to (pselect6's sigmask). */
function pointeeData(call: SyscallCall, arg: number): Uint8Array | undefined {
  return call.captures?.find((item) => item.arg === arg && item.kind === CaptureKind.CAPTURE_POINTEE &&
    !(item.flags & (CaptureFlag.CAPTURE_FAULT | CaptureFlag.CAPTURE_AT_EXIT)))?.data;
}

/** Decoders that the argument's type alone does not pick; undefined: the pointer. */
const SYSCALL_DECODERS: Record<string, (bytes: Uint8Array, atExit: boolean, call: SyscallCall) => string | undefined> = {
  'fcntl.2': fcntlLock,
  'ioctl.2': ioctlInt,
  'wait4.1': structs.waitStatus,
  'utimensat.2': structs.timespecPair,
  'capget.0': structs.capHeader,
  'capset.0': structs.capHeader,
  'capget.1': (bytes, _atExit, call) => structs.capData(bytes, entryData(call, 0)),
  'capset.1': (bytes, _atExit, call) => structs.capData(bytes, entryData(call, 0)),
  'sched_setaffinity.2': (bytes, _atExit, call) => structs.cpuSet(bytes, call.args?.[1] ?? 0),
  'sched_getaffinity.2': (bytes, _atExit, call) => structs.cpuSet(bytes, call.ret ?? 0),
  // recvmsg's entry copy: what a failed call shows (its exit copy shows the rest).
  'recvmsg.1': structs.msghdrNamelen,
  'rt_sigreturn.0': (bytes) => `{mask=${structs.sigset(bytes)}}`,
  'pselect6.5': (bytes, _atExit, call) => structs.pselect6Sigmask(bytes, pointeeData(call, 5)),
};

/** Structs the call did not use: shown as the pointer, as strace shows them. */
const UNUSED_STRUCTS: Record<string, (call: SyscallCall) => boolean> = {
  // WNOHANG with no child changed (= 0), or a failure: the kernel wrote no status.
  'wait4.1': (call) => call.ret !== null && call.ret <= 0,
  // Nor its usage (strace shows it only for a child waited for).
  'wait4.3': (call) => call.ret !== null && call.ret <= 0,
  // EPOLL_CTL_DEL ignores the event.
  'epoll_ctl.3': (call) => call.args?.[1] === K.EPOLL_CTL_DEL,
  // clone's pidfd, which src/decode/strace-args.ts shows as strace does (parent_tid=[3]).
  'clone.2': () => true,
};

function structText(call: SyscallCall, item: Capture): string | undefined {
  const info = syscallInfo(call.nr);
  if (!info || UNUSED_STRUCTS[`${info.name}.${item.arg}`]?.(call)) return undefined;
  const atExit = (item.flags & CaptureFlag.CAPTURE_AT_EXIT) !== 0;
  const decode = SYSCALL_DECODERS[`${info.name}.${item.arg}`] ?? TYPE_DECODERS[info.args[item.arg]?.type ?? ''];
  return decode ? decode(item.data, atExit, call) : undefined;
}

/** gid_t arrays by syscall: how many elements the call has (setgroups passes, getgroups returns). */
const GROUP_COUNTS: Record<string, (call: SyscallCall) => number> = {
  getgroups: (call) => call.ret ?? 0,
  setgroups: (call) => (call.args?.[0] ?? 0) | 0,
};

/** Items shown as part of another item of the same argument: a msghdr's or an iovec array's, what a pointer in a struct points to. */
const PART_KINDS = new Set<number>([CaptureKind.CAPTURE_MSG_NAME, CaptureKind.CAPTURE_MSG_IOV, CaptureKind.CAPTURE_MSG_CONTROL,
  CaptureKind.CAPTURE_POINTEE]);

/** A msghdr with what it points to: the items of the same argument and end that follow it. */
function msghdrText(call: SyscallCall, header: Capture, items: Capture[], options: CaptureOptions): string {
  const atExit = header.flags & CaptureFlag.CAPTURE_AT_EXIT;
  const part = (kind: number): Capture | undefined => items.find((other) => other.arg === header.arg &&
    other.kind === kind && (other.flags & CaptureFlag.CAPTURE_AT_EXIT) === atExit && !(other.flags & CaptureFlag.CAPTURE_FAULT));
  const name = part(CaptureKind.CAPTURE_MSG_NAME);
  const vectors = part(CaptureKind.CAPTURE_MSG_IOV);
  // recvmsg copies the msghdr at the entry too: msg_namelen as the program set it.
  const before = atExit ? items.find((other) => other.arg === header.arg && other.kind === CaptureKind.CAPTURE_STRUCT &&
    !(other.flags & (CaptureFlag.CAPTURE_AT_EXIT | CaptureFlag.CAPTURE_FAULT))) : undefined;
  const quote = (bytes: Uint8Array, cut: boolean): string => quoteBytes(bytes, cut, options.hex);
  const moved = atExit ? call.ret ?? 0 : Number.MAX_SAFE_INTEGER;
  return structs.msghdr(header.data, {
    name: name ? sockaddr(name.data) : null,
    namelenBefore: before && before.data.length >= 12 ? u32(before.data.subarray(8)) ?? null : null,
    iov: vectors ? structs.iovecs(vectors.data, part(CaptureKind.CAPTURE_BYTES)?.data ?? null, moved, options.stringLimit, quote) : null,
    control: part(CaptureKind.CAPTURE_MSG_CONTROL)?.data ?? null,
  });
}

/** Extended attribute values (argument 2) and name lists (argument 1, of size argument 2). */
const XATTR_VALUES = new Set(['setxattr', 'lsetxattr', 'fsetxattr', 'getxattr', 'lgetxattr', 'fgetxattr']);
const XATTR_LISTS = new Set(['listxattr', 'llistxattr', 'flistxattr']);
/** Above this an attribute value is shown as its pointer (strace: no value is that long). */

/** A string's or a buffer's text, quoted; as a JSON string holding that text if json.
 * undefined: the call did not use the buffer (the pointer is shown). */
function quotedText(call: SyscallCall, name: string, item: Capture, options: CaptureOptions, json: boolean): string | undefined {
  const quote = json ? quoteBytesJson : quoteBytes;
  if (item.kind === CaptureKind.CAPTURE_STRING) return quote(item.data, (item.flags & CaptureFlag.CAPTURE_TRUNCATED) !== 0, options.hex);
  const rule = ruleFor(call.nr, item.arg, (item.flags & CaptureFlag.CAPTURE_AT_EXIT) !== 0);
  let shown = Math.min(item.data.length, rule?.max ?? options.stringLimit);
  const mode = HEX_BUFFERS.has(name) ? 'all' : options.hex;
  const full = fullLength(call, rule, item.data);
  // A size query (size 0) fills no list.
  if (XATTR_LISTS.has(name) && call.args?.[2] === 0) return undefined;
  if (XATTR_VALUES.has(name)) {
    if (full > K.XATTR_SIZE_MAX) return undefined;
    // strace leaves out a NUL that ends what it shows, and then no `...` follows (in hex, as
    // a NUL makes -x write, it shows it).
    if (mode === 'none' && shown > 0 && item.data[shown - 1] === 0) return quote(item.data, false, mode, shown - 1);
  }
  return quote(item.data, full > shown, mode, shown);
}

/** The text of an item other than a string or a buffer. */
function itemText(call: SyscallCall, item: Capture, items: Capture[], options: CaptureOptions): string | undefined {
  const { stringLimit: limit, hex } = options;
  const atExit = (item.flags & CaptureFlag.CAPTURE_AT_EXIT) !== 0;
  const truncated = (item.flags & CaptureFlag.CAPTURE_TRUNCATED) !== 0;
  const rule = ruleFor(call.nr, item.arg, atExit);
  switch (item.kind) {
    case CaptureKind.CAPTURE_STRING_ARRAY:
      return stringArray(item.data, truncated, limit, hex);
    case CaptureKind.CAPTURE_COUNT: {
      const count = new DataView(item.data.buffer, item.data.byteOffset, item.data.byteLength).getUint32(0, true);
      const pointer = call.args ? '0x' + rawHex(call.args[item.arg]) : '?';
      // strace writes "entries" whatever the count; "or more" past the bound of what is counted.
      if (rule?.source === 'dirents') return `${pointer} /* ${count}${truncated ? ' or more' : ''} entries */`;
      return `${pointer} /* ${count} ${count === 1 ? 'var' : 'vars'} */`;
    }
    case CaptureKind.CAPTURE_STRUCT: {
      if (rule?.source === 'msghdr') return msghdrText(call, item, items, options);
      if (rule?.source === 'iovec') {
        const data = items.find((other) => other !== item && other.arg === item.arg && other.kind === CaptureKind.CAPTURE_BYTES &&
          !(other.flags & CaptureFlag.CAPTURE_FAULT));
        const moved = atExit ? call.ret ?? 0 : Number.MAX_SAFE_INTEGER;
        return structs.iovecs(item.data, data?.data ?? null, moved, limit, (bytes, cut) => quoteBytes(bytes, cut, hex));
      }
      const nfds = (call.args?.[1] ?? 0) >>> 0;
      if (POLL_LIKE.has(syscallInfo(call.nr)?.name ?? '') && item.arg === 0)
        return atExit ? structs.pollResult(item.data, nfds, limit) : structs.pollfds(item.data, nfds, limit);
      const groups = GROUP_COUNTS[syscallInfo(call.nr)?.name ?? '']?.(call);
      if (groups !== undefined) return structs.gids(item.data, groups, limit);
      return structText(call, item);
    }
  }
  return undefined;
}

const POLL_LIKE = new Set(['poll', 'ppoll']);
/** Calls whose args 1-3 are fd sets of nfds (arg 0) bits and arg 4 a timeout, both rewritten by the kernel. */
const SELECT_LIKE = new Set(['select', 'pselect6']);
const SELECT_SET_NAMES = ['', 'in', 'out', 'except'];

/** What select says after its result, as strace: ` (in [3], out [4], left {tv_sec=0, tv_usec=999})`,
 * ` (Timeout)`; exitItems by argument, the sets and the timeout as the kernel left them. */
function selectResult(call: SyscallCall, exitItems: (Capture | undefined)[]): string | null {
  if (call.ret === 0) return ' (Timeout)';
  const nfds = call.args?.[0] ?? 0;
  const parts: string[] = [];
  for (let arg = 1; arg <= 3; arg++) {
    const item = exitItems[arg];
    const fds = item && structs.fdSet(item.data, nfds);
    if (fds && fds !== '[]') parts.push(`${SELECT_SET_NAMES[arg]} ${fds}`);
  }
  const left = exitItems[4] && structText(call, exitItems[4]);
  if (left) parts.push(`left ${left}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : null;
}

/** socklen_t pointers both read and written, by syscall: strace shows [in => out], or [n] when equal. */
const VALUE_RESULT = new Map([['accept', [2]], ['accept4', [2]], ['getsockname', [2]], ['getpeername', [2]], ['recvfrom', [5]],
  ['getsockopt', [4]]]);

function u32(data: Uint8Array): number | undefined {
  return data.length >= 4 ? new DataView(data.buffer, data.byteOffset, 4).getUint32(0, true) : undefined;
}

function valueResultText(items: Capture[], arg: number, succeeded: boolean): string | undefined {
  const ok = (item: Capture): boolean => item.arg === arg && !(item.flags & CaptureFlag.CAPTURE_FAULT);
  const before = items.find((item) => ok(item) && !(item.flags & CaptureFlag.CAPTURE_AT_EXIT));
  const after = succeeded ? items.find((item) => ok(item) && (item.flags & CaptureFlag.CAPTURE_AT_EXIT) !== 0) : undefined;
  const input = before && u32(before.data);
  const output = after && u32(after.data);
  if (input === undefined) return output === undefined ? undefined : `[${output}]`;
  return output === undefined || output === input ? `[${input}]` : `[${input} => ${output}]`;
}

/** sendfile's offset as strace shows it: [0], and => [5] after a call that moved bytes. */
function sendfileOffset(call: SyscallCall, items: Capture[], succeeded: boolean): string | undefined {
  const at = (exit: boolean): bigint | undefined => {
    const item = items.find((other) => other.arg === 2 && !(other.flags & CaptureFlag.CAPTURE_FAULT) &&
      ((other.flags & CaptureFlag.CAPTURE_AT_EXIT) !== 0) === exit);
    return item && item.data.length >= 8 ? new DataView(item.data.buffer, item.data.byteOffset, 8).getBigUint64(0, true) : undefined;
  };
  const before = at(false);
  if (before === undefined) return undefined;
  const after = succeeded && call.ret !== null && call.ret > 0 ? at(true) : undefined;
  return `[${before}]` + (after !== undefined ? ` => [${after}]` : '');
}

/** The text of every argument that has data; the rest stay undefined. */
export function capturedArgs(call: SyscallCall, options: CaptureOptions): CapturedArgs {
  const result: CapturedArgs = { args: [], afterReturn: null };
  fillCapturedArgs(call, options, false, result);
  return result;
}

/** capturedArgs' texts as JSON strings (JSON.stringify of each), in `into`, which is cleared
 * first: a formatter reuses one for every call. afterReturn stays null: JSON has no text
 * after the result. */
export function capturedArgsJson(call: SyscallCall, options: CaptureOptions, into: CapturedArgs): CapturedArgs {
  const { args } = into;
  for (let i = 0; i < args.length; i++) args[i] = undefined; // cheaper than truncating
  into.afterReturn = null;
  fillCapturedArgs(call, options, true, into);
  return into;
}

/** Captures that mean something only for some calls: prctl's arguments are pointers only for
 * some options. */
const CAPTURE_USED: Record<string, (call: SyscallCall, item: Capture) => boolean> = {
  prctl: (call, item) => prctlCaptureUsed(call.args, item),
};

const NO_ITEMS: Capture[] = [];

function fillCapturedArgs(call: SyscallCall, options: CaptureOptions, json: boolean, into: CapturedArgs): void {
  const { args } = into;
  let afterReturn: string | null = null;
  // A call without copies still gets what strace adds after some results: poll(NULL, 0, 0) = 0 (Timeout).
  const items = call.captures ?? NO_ITEMS;
  const name = syscallInfo(call.nr)?.name ?? '';
  const valueResults = VALUE_RESULT.get(name);
  const succeeded = call.state === 'returned' && call.ret !== null && call.ret >= 0;
  const selectLike = SELECT_LIKE.has(name);
  const selectExit: (Capture | undefined)[] = [];
  const used = CAPTURE_USED[name];
  for (const item of items) {
    if (used && !used(call, item)) continue;
    // -k: a stack is shown after the call (src/stack/), not as an argument.
    if (item.flags & CaptureFlag.CAPTURE_FAULT || item.kind === CaptureKind.CAPTURE_STACK || item.kind === CaptureKind.CAPTURE_STACK_BUILD_ID) continue;
    if (valueResults !== undefined && valueResults.includes(item.arg)) {
      if (args[item.arg] === undefined) args[item.arg] = jsonIf(json, valueResultText(items, item.arg, succeeded));
      continue;
    }
    const atExit = (item.flags & CaptureFlag.CAPTURE_AT_EXIT) !== 0;
    if (atExit && !succeeded) continue;
    if (selectLike && atExit) {
      selectExit[item.arg] = item;
      continue;
    }
    if (selectLike && item.arg >= 1 && item.arg <= 3) {
      args[item.arg] = jsonIf(json, structs.fdSet(item.data, call.args?.[0] ?? 0));
      continue;
    }
    if (name === 'sendfile' && item.arg === 2) {
      if (!atExit) args[2] = jsonIf(json, sendfileOffset(call, items, succeeded));
      continue;
    }
    // An iovec's data and a msghdr's parts are shown with their array or msghdr.
    if (PART_KINDS.has(item.kind)) continue;
    if (item.kind === CaptureKind.CAPTURE_BYTES && isPartOfArray(ruleFor(call.nr, item.arg, atExit))) continue;
    const text = item.kind === CaptureKind.CAPTURE_STRING || item.kind === CaptureKind.CAPTURE_BYTES
      ? quotedText(call, name, item, options, json) : jsonIf(json, itemText(call, item, items, options));
    if (text === undefined) continue;
    if (atExit && POLL_LIKE.has(name)) {
      if (!json) afterReturn = ` (${text})`;
    } else if (atExit || args[item.arg] === undefined) args[item.arg] = text;
  }
  if (selectLike && succeeded && !json) afterReturn = selectResult(call, selectExit);
  if (POLL_LIKE.has(name) && succeeded && call.ret === 0 && !json) afterReturn = ' (Timeout)'; // as strace: no fd had events
  into.afterReturn = afterReturn;
}

function jsonIf(json: boolean, text: string | undefined): string | undefined {
  return json && text !== undefined ? JSON.stringify(text) : text;
}
