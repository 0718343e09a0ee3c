// Which arguments of which syscalls are copied from the traced program's memory, and how
// much: the one table both backends follow (the BPF programs read it from a map, the ptrace
// backend from the session spec). Adding a syscall is an entry here, not new BPF code.
// Arguments of type `const char *` that no entry names are captured as strings.
import { allSyscalls, syscallByName } from './syscall-table';
import * as K from '../generated/kernel-constants';
import { KERNEL_VALUES as V } from '../generated/flag-tables';

/** What the argument points to. */
export type CaptureSource =
  | 'string'  // a NUL-terminated string
  | 'argv'    // a NULL-terminated array of string pointers: each string
  | 'envc'    // a NULL-terminated array of pointers: how many
  | 'bytes'   // a buffer: shown as a quoted string, cut at -s
  | 'struct'  // a struct or array of structs, decoded field by field
  | 'iovec'   // an iovec array, then the data of each element up to -s in all
  | 'msghdr'  // a msghdr, its name and control messages, and its iovec data as 'iovec'
  | 'dirents' // getdents(64)'s buffer at the exit: how many directory entries the kernel wrote
  | 'pointee' // what a pointer inside the struct the argument points to points to (at byte `field`)
  | 'fdsets'; // select's three fd sets, args 1-3 (the rule's arg is 1), each an item of its own argument

/** How many bytes to copy. */
export type CaptureLength =
  | { from: 'fixed'; size: number }
  | { from: 'arg'; arg: number; elemSize: number }     // args[arg] elements (bytes if elemSize 1)
  | { from: 'ret'; elemSize: number }                  // the return value's count (exit only)
  | { from: 'pointer'; arg: number }                   // *(socklen_t *)args[arg], read at the same time
  | { from: 'bits'; arg: number };                     // args[arg] bits in whole 64-bit words (an fd_set)

export interface CaptureRule {
  arg: number;
  source: CaptureSource;
  /** Copied at the exit (what the kernel wrote), not at the entry (what the program passed). */
  atExit: boolean;
  length?: CaptureLength;
  /** Cap in bytes; undefined means -s for strings and bytes, the struct's size for structs. */
  max?: number;
  /** 'pointee': the offset of the pointer in the struct. */
  field?: number;
}

/** A rule with everything resolved, as the native side takes it. */
export interface NativeCaptureRule {
  nr: number;
  arg: number;
  source: number;         // enum capture_source (bpf/syscall_event.h)
  atExit: boolean;
  lengthFrom: number;     // enum capture_length_from
  lengthArg: number;
  field: number;
  elemSize: number;
  maxBytes: number;
}

const SOURCE_VALUES: Record<CaptureSource, number> = {
  string: K.CAPTURE_SOURCE_STRING, argv: K.CAPTURE_SOURCE_ARGV, envc: K.CAPTURE_SOURCE_ENVC, bytes: K.CAPTURE_SOURCE_BYTES,
  struct: K.CAPTURE_SOURCE_STRUCT, iovec: K.CAPTURE_SOURCE_IOVEC, msghdr: K.CAPTURE_SOURCE_MSGHDR, dirents: K.CAPTURE_SOURCE_DIRENTS,
  pointee: K.CAPTURE_SOURCE_POINTEE, fdsets: K.CAPTURE_SOURCE_FDSETS,
};
const LENGTH_FROM_VALUES = {
  none: K.CAPTURE_LENGTH_NONE, fixed: K.CAPTURE_LENGTH_FIXED, arg: K.CAPTURE_LENGTH_ARG, ret: K.CAPTURE_LENGTH_RET,
  pointer: K.CAPTURE_LENGTH_POINTER, bits: K.CAPTURE_LENGTH_BITS,
} as const;
export const PATH_MAX = V.PATH_MAX;
export const SOCKADDR_MAX = K.CAPTURE_SOCKADDR_MAX;

const entry = (arg: number, source: CaptureSource, length?: CaptureLength, max?: number): CaptureRule =>
  ({ arg, source, atExit: false, length, max });
const exit = (arg: number, source: CaptureSource, length?: CaptureLength, max?: number): CaptureRule =>
  ({ arg, source, atExit: true, length, max });
const fixed = (size: number): CaptureLength => ({ from: 'fixed', size });
const lengthArg = (arg: number, elemSize = 1): CaptureLength => ({ from: 'arg', arg, elemSize });
const lengthRet = (elemSize = 1): CaptureLength => ({ from: 'ret', elemSize });
const lengthAt = (arg: number): CaptureLength => ({ from: 'pointer', arg });
const lengthBits = (arg: number): CaptureLength => ({ from: 'bits', arg });
/** `size` bytes where the pointer at byte `field` of the struct at args[arg] points. */
const pointee = (at: typeof entry, arg: number, field: number, size: number): CaptureRule =>
  ({ ...at(arg, 'pointee', fixed(size)), field });

/** A socklen_t the program sets and the kernel updates: copied at both ends ([128 => 16]). */
const valueResult = (arg: number): CaptureRule[] => [entry(arg, 'struct', fixed(4)), exit(arg, 'struct', fixed(4))];

// x86_64 sizes of the structs copied, from the headers (scripts/data/flag-tables.txt).
const POINTER = 8;
const SIZEOF = {
  stat: V.SIZEOF_STAT, statx: V.SIZEOF_STATX, timespec: V.SIZEOF_TIMESPEC, timeval: V.SIZEOF_TIMEVAL,
  pollfd: V.SIZEOF_POLLFD, rlimit: V.SIZEOF_RLIMIT, utsname: V.SIZEOF_UTSNAME, epoll_event: V.SIZEOF_EPOLL_EVENT,
  // No header has the kernel's struct sigaction: handler, flags, restorer, then the mask.
  kernel_sigaction: 3 * POINTER + V.SIZEOF_KERNEL_SIGSET, sigset: V.SIZEOF_KERNEL_SIGSET,
  int: V.SIZEOF_INT, fd_pair: 2 * V.SIZEOF_INT, msghdr: V.SIZEOF_MSGHDR, open_how: V.SIZEOF_OPEN_HOW,
  clone_args: V.SIZEOF_CLONE_ARGS, itimerspec: V.SIZEOF_ITIMERSPEC, sysinfo: V.SIZEOF_SYSINFO, rusage: V.SIZEOF_RUSAGE,
  fd_set: V.SIZEOF_FD_SET, flock: V.SIZEOF_FLOCK, statfs: V.SIZEOF_STATFS, stack_t: V.SIZEOF_STACK_T,
  cap_header: V.SIZEOF_CAP_HEADER, cap_data: V.SIZEOF_CAP_DATA, loff_t: V.SIZEOF_LOFF_T, siginfo: V.SIZEOF_SIGINFO,
  sock_fprog: V.SIZEOF_SOCK_FPROG, sigevent: V.SIZEOF_SIGEVENT, itimerval: V.SIZEOF_ITIMERVAL, tms: V.SIZEOF_TMS,
  // pselect6's sixth argument: the mask's address and its size (kernel-internal).
  pselect6_sigmask: 2 * POINTER,
} as const;
/** Where struct clone_args keeps its pidfd pointer. */
const CLONE_ARGS_PIDFD = V.CLONE_ARGS_PIDFD_OFFSET;
/** The bytes of a CPU mask strace reads of sched_*affinity at most (its cpuset: 1024 CPUs). */
export const CPUSET_SIZE = 128;

/** select's read, write and except sets (args 1-3) of nfds (arg 0) bits, as the kernel reads
 * them at the entry or writes them at the exit; at most FD_SETSIZE (1024) fds are shown. */
const fdSets = (at: typeof entry): CaptureRule[] => [at(1, 'fdsets', lengthBits(0), SIZEOF.fd_set)];

/** Rules for arguments that are not plain strings. Keyed by syscall name. */
const RULES: Record<string, CaptureRule[]> = {
  read: [exit(1, 'bytes', lengthRet())],
  pread64: [exit(1, 'bytes', lengthRet())],
  write: [entry(1, 'bytes', lengthArg(2))],
  pwrite64: [entry(1, 'bytes', lengthArg(2))],
  readv: [exit(1, 'iovec', lengthArg(2))],
  preadv: [exit(1, 'iovec', lengthArg(2))],
  preadv2: [exit(1, 'iovec', lengthArg(2))],
  writev: [entry(1, 'iovec', lengthArg(2))],
  pwritev: [entry(1, 'iovec', lengthArg(2))],
  pwritev2: [entry(1, 'iovec', lengthArg(2))],
  recvfrom: [exit(1, 'bytes', lengthRet()), exit(4, 'struct', lengthAt(5), SOCKADDR_MAX), ...valueResult(5)],
  sendto: [entry(1, 'bytes', lengthArg(2)), entry(4, 'struct', lengthArg(5), SOCKADDR_MAX)],
  sendmsg: [entry(1, 'msghdr')],
  // The entry's msghdr for msg_namelen's value before the call (128 => 16, as strace shows it).
  recvmsg: [entry(1, 'struct', fixed(SIZEOF.msghdr)), exit(1, 'msghdr')],
  connect: [entry(1, 'struct', lengthArg(2), SOCKADDR_MAX)],
  bind: [entry(1, 'struct', lengthArg(2), SOCKADDR_MAX)],
  accept: [exit(1, 'struct', lengthAt(2), SOCKADDR_MAX), ...valueResult(2)],
  accept4: [exit(1, 'struct', lengthAt(2), SOCKADDR_MAX), ...valueResult(2)],
  getsockname: [exit(1, 'struct', lengthAt(2), SOCKADDR_MAX), ...valueResult(2)],
  getpeername: [exit(1, 'struct', lengthAt(2), SOCKADDR_MAX), ...valueResult(2)],
  setsockopt: [entry(3, 'struct', lengthArg(4), 64)],
  getsockopt: [exit(3, 'struct', lengthAt(4), 64), ...valueResult(4)],
  socketpair: [exit(3, 'struct', fixed(SIZEOF.fd_pair))],
  pipe: [exit(0, 'struct', fixed(SIZEOF.fd_pair))],
  pipe2: [exit(0, 'struct', fixed(SIZEOF.fd_pair))],
  stat: [exit(1, 'struct', fixed(SIZEOF.stat))],
  lstat: [exit(1, 'struct', fixed(SIZEOF.stat))],
  fstat: [exit(1, 'struct', fixed(SIZEOF.stat))],
  newfstatat: [exit(2, 'struct', fixed(SIZEOF.stat))],
  statx: [exit(4, 'struct', fixed(SIZEOF.statx))],
  readlink: [exit(1, 'bytes', lengthRet(), PATH_MAX)],
  readlinkat: [exit(2, 'bytes', lengthRet(), PATH_MAX)],
  getcwd: [exit(0, 'string', undefined, PATH_MAX)],
  getrandom: [exit(0, 'bytes', lengthRet())],
  // strace without -v: `0x55d0c1a2b2c0 /* 14 entries */`.
  getdents: [exit(1, 'dirents')],
  getdents64: [exit(1, 'dirents')],
  execve: [entry(1, 'argv'), entry(2, 'envc')],
  execveat: [entry(2, 'argv'), entry(3, 'envc')],
  nanosleep: [entry(0, 'struct', fixed(SIZEOF.timespec))],
  clock_nanosleep: [entry(2, 'struct', fixed(SIZEOF.timespec))],
  clock_gettime: [exit(1, 'struct', fixed(SIZEOF.timespec))],
  clock_getres: [exit(1, 'struct', fixed(SIZEOF.timespec))],
  gettimeofday: [exit(0, 'struct', fixed(SIZEOF.timeval))],
  // The pollfd arrays up to CAPTURE_ITEM_MAX bytes (512 entries): strace shows -s of them at
  // the entry, and at the exit those with events until its 1024-byte text is full.
  poll: [entry(0, 'struct', lengthArg(1, SIZEOF.pollfd)), exit(0, 'struct', lengthArg(1, SIZEOF.pollfd))],
  ppoll: [entry(0, 'struct', lengthArg(1, SIZEOF.pollfd)), exit(0, 'struct', lengthArg(1, SIZEOF.pollfd)), entry(2, 'struct', fixed(SIZEOF.timespec)),
    entry(3, 'struct', fixed(SIZEOF.sigset))],
  // The timeout at the exit: what is left of it (strace's `left {...}`).
  select: [...fdSets(entry), entry(4, 'struct', fixed(SIZEOF.timeval)), ...fdSets(exit), exit(4, 'struct', fixed(SIZEOF.timeval))],
  // Its 6th argument: a struct {const sigset_t *ss; size_t ss_len}, and the mask ss points to.
  pselect6: [...fdSets(entry), entry(4, 'struct', fixed(SIZEOF.timespec)), ...fdSets(exit), exit(4, 'struct', fixed(SIZEOF.timespec)),
    entry(5, 'struct', fixed(SIZEOF.pselect6_sigmask)), pointee(entry, 5, 0, SIZEOF.sigset)],
  getrlimit: [exit(1, 'struct', fixed(SIZEOF.rlimit))],
  setrlimit: [entry(1, 'struct', fixed(SIZEOF.rlimit))],
  prlimit64: [entry(2, 'struct', fixed(SIZEOF.rlimit)), exit(3, 'struct', fixed(SIZEOF.rlimit))],
  uname: [exit(0, 'struct', fixed(SIZEOF.utsname))],
  epoll_ctl: [entry(3, 'struct', fixed(SIZEOF.epoll_event))],
  epoll_wait: [exit(1, 'struct', lengthRet(SIZEOF.epoll_event), 16 * SIZEOF.epoll_event)],
  epoll_pwait: [exit(1, 'struct', lengthRet(SIZEOF.epoll_event), 16 * SIZEOF.epoll_event), entry(4, 'struct', fixed(SIZEOF.sigset))],
  rt_sigaction: [entry(1, 'struct', fixed(SIZEOF.kernel_sigaction)), exit(2, 'struct', fixed(SIZEOF.kernel_sigaction))],
  rt_sigprocmask: [entry(1, 'struct', fixed(SIZEOF.sigset)), exit(2, 'struct', fixed(SIZEOF.sigset))],
  // gid_t arrays: what the program passes, what the kernel returns (the result's count).
  getgroups: [exit(1, 'struct', lengthRet(4))],
  setgroups: [entry(1, 'struct', lengthArg(0, 4))],
  // An int for the requests src/decode/captured.ts names (FIONBIO's [1], FIONREAD's [3]).
  ioctl: [entry(2, 'struct', fixed(SIZEOF.int)), exit(2, 'struct', fixed(SIZEOF.int))],
  rt_sigpending: [exit(0, 'struct', fixed(SIZEOF.sigset))],
  rt_sigsuspend: [entry(0, 'struct', fixed(SIZEOF.sigset))],
  // The signals waited for, the siginfo of the one taken (strace: = 17 (SIGCHLD)), the timeout.
  rt_sigtimedwait: [entry(0, 'struct', fixed(SIZEOF.sigset)), exit(1, 'struct', fixed(SIZEOF.siginfo)), entry(2, 'struct', fixed(SIZEOF.timespec))],
  signalfd: [entry(1, 'struct', fixed(SIZEOF.sigset))],
  signalfd4: [entry(1, 'struct', fixed(SIZEOF.sigset))],
  // The mask the call restores, at the address both backends give as its (pseudo) first
  // argument (bpf/syscall_event.h: RT_SIGFRAME_MASK_OFFSET).
  rt_sigreturn: [entry(0, 'struct', fixed(SIZEOF.sigset))],
  wait4: [exit(1, 'struct', fixed(SIZEOF.int)), exit(3, 'struct', fixed(SIZEOF.rusage))],
  waitid: [exit(2, 'struct', fixed(SIZEOF.siginfo)), exit(4, 'struct', fixed(SIZEOF.rusage))],
  openat2: [entry(2, 'struct', fixed(SIZEOF.open_how))],
  // The struct, and the pidfd the kernel stored where its pidfd field points (CLONE_PIDFD).
  clone3: [entry(0, 'struct', lengthArg(1), SIZEOF.clone_args), pointee(exit, 0, CLONE_ARGS_PIDFD, SIZEOF.int)],
  // The pidfd CLONE_PIDFD stores where parent_tid points (CLONE_PARENT_SETTID's id is the result).
  clone: [exit(2, 'struct', fixed(SIZEOF.int))],
  utimensat: [entry(2, 'struct', fixed(2 * SIZEOF.timespec))],
  sysinfo: [exit(0, 'struct', fixed(SIZEOF.sysinfo))],
  timerfd_settime: [entry(2, 'struct', fixed(SIZEOF.itimerspec))],
  // The sigevent the program passes, the timer id the kernel returns.
  timer_create: [entry(1, 'struct', fixed(SIZEOF.sigevent)), exit(2, 'struct', fixed(SIZEOF.int))],
  // The new setting, and the old one the kernel returns.
  timer_settime: [entry(2, 'struct', fixed(SIZEOF.itimerspec)), exit(3, 'struct', fixed(SIZEOF.itimerspec))],
  timer_gettime: [exit(1, 'struct', fixed(SIZEOF.itimerspec))],
  getitimer: [exit(1, 'struct', fixed(SIZEOF.itimerval))],
  setitimer: [entry(1, 'struct', fixed(SIZEOF.itimerval)), exit(2, 'struct', fixed(SIZEOF.itimerval))],
  times: [exit(0, 'struct', fixed(SIZEOF.tms))],
  // The offsets as the program passes them (strace shows them at the entry: [0]).
  splice: [entry(1, 'struct', fixed(SIZEOF.loff_t)), entry(3, 'struct', fixed(SIZEOF.loff_t))],
  copy_file_range: [entry(1, 'struct', fixed(SIZEOF.loff_t)), entry(3, 'struct', fixed(SIZEOF.loff_t))],
  // Attribute values: what the program sets (size bytes), what the kernel returns (the
  // result's bytes), and the name lists (the result's bytes), cut at -s.
  setxattr: [entry(2, 'bytes', lengthArg(3))],
  lsetxattr: [entry(2, 'bytes', lengthArg(3))],
  fsetxattr: [entry(2, 'bytes', lengthArg(3))],
  getxattr: [exit(2, 'bytes', lengthRet())],
  lgetxattr: [exit(2, 'bytes', lengthRet())],
  fgetxattr: [exit(2, 'bytes', lengthRet())],
  listxattr: [exit(1, 'bytes', lengthRet())],
  llistxattr: [exit(1, 'bytes', lengthRet())],
  flistxattr: [exit(1, 'bytes', lengthRet())],
  getrusage: [exit(1, 'struct', fixed(SIZEOF.rusage))],
  // A struct flock for the lock commands (F_SETLK's at the entry, F_GETLK's at the exit); the
  // others pass a number, whose copy faults or is not shown (src/decode/captured.ts).
  fcntl: [entry(2, 'struct', fixed(SIZEOF.flock)), exit(2, 'struct', fixed(SIZEOF.flock))],
  // The timeout of the waiting operations (for the others arg 3 is a number: its copy fails
  // or is not shown, src/decode/strace-args.ts).
  futex: [entry(3, 'struct', fixed(SIZEOF.timespec))],
  // The header (version, pid) and the data: one or two {effective, permitted, inheritable}.
  capget: [entry(0, 'struct', fixed(SIZEOF.cap_header)), exit(1, 'struct', fixed(2 * SIZEOF.cap_data))],
  capset: [entry(0, 'struct', fixed(SIZEOF.cap_header)), entry(1, 'struct', fixed(2 * SIZEOF.cap_data))],
  // The offset before the call and as the kernel moved it (strace: [0] => [5]).
  sendfile: [entry(2, 'struct', fixed(SIZEOF.loff_t)), exit(2, 'struct', fixed(SIZEOF.loff_t))],
  // The pointers some options take (src/decode/strace-args.ts: prctlCaptureUsed): PR_SET_NAME's
  // name (the bytes the kernel takes, and one more to tell a longer name) and PR_GET_NAME's,
  // the int PR_GET_PDEATHSIG and PR_GET_CHILD_SUBREAPER return, PR_SET_SECCOMP's filter
  // program, PR_SET_VMA's name.
  prctl: [entry(1, 'string', undefined, 16), exit(1, 'string', undefined, 16), exit(1, 'struct', fixed(SIZEOF.int)),
    entry(2, 'struct', fixed(SIZEOF.sock_fprog)), entry(4, 'string')],
  statfs: [exit(1, 'struct', fixed(SIZEOF.statfs))],
  fstatfs: [exit(1, 'struct', fixed(SIZEOF.statfs))],
  // The mask the program passes (len bytes), the one the kernel returns (the result's bytes).
  sched_setaffinity: [entry(2, 'struct', lengthArg(1), CPUSET_SIZE)],
  sched_getaffinity: [exit(2, 'struct', lengthRet(), CPUSET_SIZE)],
  sigaltstack: [entry(0, 'struct', fixed(SIZEOF.stack_t)), exit(1, 'struct', fixed(SIZEOF.stack_t))],
};

/** Strings that are paths: printed whole, up to PATH_MAX, as strace prints them. */
const PATH_ARG = /^(filename|pathname|path|oldname|newname|dir_name|dev_name|specialfile|library|new_root|put_old|special|from_pathname|to_pathname)$/;
const PATH_ARGS_NAMED_OTHERWISE = new Set(['umount2.name', 'acct.name', 'name_to_handle_at.name']);
/** `char *` arguments that are not NUL-terminated strings (buffers without a rule here). */
const NOT_STRINGS = new Set(['shmat.shmaddr', 'shmdt.shmaddr', 'syslog.buf', 'listxattrat.list', 'lookup_dcookie.buf', 'mq_timedsend.u_msg_ptr', 'mq_timedreceive.u_msg_ptr']);

/** Every syscall's rules, by syscall number. */
export function captureRules(): Map<number, CaptureRule[]> {
  const table = new Map<number, CaptureRule[]>();
  for (const info of allSyscalls()) {
    const rules = [...(RULES[info.name] ?? [])];
    info.args.forEach((arg, index) => {
      const qualified = `${info.name}.${arg.name}`;
      if (!/^(const )?char \*$/.test(arg.type) || NOT_STRINGS.has(qualified)) return;
      if (rules.some((rule) => rule.arg === index)) return;
      const isPath = PATH_ARG.test(arg.name) || PATH_ARGS_NAMED_OTHERWISE.has(qualified);
      rules.push(entry(index, 'string', undefined, isPath ? PATH_MAX : undefined));
    });
    if (rules.length > K.CAPTURE_RULES_PER_SYSCALL) throw new Error(`${info.name}: more than ${K.CAPTURE_RULES_PER_SYSCALL} capture rules`);
    if (rules.length > 0) table.set(info.nr, rules);
  }
  for (const name of Object.keys(RULES)) if (!syscallByName(name)) throw new Error(`capture rule for unknown syscall ${name}`);
  return table;
}

/** The rules with -s applied, flattened for the native session. */
export function nativeCaptureRules(stringLimit: number): NativeCaptureRule[] {
  const out: NativeCaptureRule[] = [];
  for (const [nr, rules] of captureRules()) {
    for (const rule of rules) {
      const length = rule.length;
      out.push({
        nr,
        arg: rule.arg,
        source: SOURCE_VALUES[rule.source],
        atExit: rule.atExit,
        lengthFrom: LENGTH_FROM_VALUES[length?.from ?? 'none'],
        lengthArg: length && 'arg' in length ? length.arg : 0,
        field: rule.field ?? 0,
        elemSize: length?.from === 'fixed' ? length.size : length && 'elemSize' in length ? length.elemSize : 1,
        maxBytes: rule.max ?? (rule.source === 'struct' || rule.source === 'pointee' || rule.source === 'fdsets' ? (length?.from === 'fixed' ? length.size : K.CAPTURE_ITEM_MAX) : stringLimit),
      });
    }
  }
  return out;
}
