// Which decoder reads which syscall argument, by the argument names of the generated table.
import { syscallInfo } from '../syscalls/syscall-table';
import { futexOp, ioctlRequest } from './events';
import { accessMode, dirfd, fcntlArg, fileMode, flockOp, mknodDevice, mknodMode, openFlags, statxFlags, statxMask, umaskValue } from './fs';
import { mmapFlags, mmapProt } from './memory';
import { socketOption, socketProtocol, socketType } from './net';
import { clockId, cloneFlags, priorityWhich, priorityWho } from './process';
import { enumDecoder, enumeration, flagsDecoder, userOrGroupIdText, type ArgDecoder } from './symbols';

const atFlags = flagsDecoder('at_flags');
const faccessatFlags = flagsDecoder('faccessat_flags');
/** pipe2, dup3, inotify_init1...: the open flags they share (O_CLOEXEC, O_NONBLOCK). */
const fdFlags = flagsDecoder('open_flags');
const signal = enumDecoder('signals');
const rlimitResource = enumDecoder('rlimit_resource');
const msgFlags = flagsDecoder('msg_flags');
const clockFlags = flagsDecoder('clock_flags');
const schedPolicy = enumDecoder('sched_policy');
const xattrFlags = flagsDecoder('xattr_flags');

export const ARG_DECODERS: Readonly<Record<string, Readonly<Record<string, ArgDecoder>>>> = {
  // files
  open: { flags: openFlags, mode: fileMode },
  openat: { dfd: dirfd, flags: openFlags, mode: fileMode },
  openat2: { dfd: dirfd },
  open_by_handle_at: { flags: openFlags },
  creat: { mode: fileMode },
  mkdir: { mode: fileMode },
  mkdirat: { dfd: dirfd, mode: fileMode },
  mknod: { mode: mknodMode, dev: mknodDevice },
  mknodat: { dfd: dirfd, mode: mknodMode, dev: mknodDevice },
  flock: { cmd: flockOp },
  setxattr: { flags: xattrFlags },
  lsetxattr: { flags: xattrFlags },
  fsetxattr: { flags: xattrFlags },
  chmod: { mode: fileMode },
  fchmod: { mode: fileMode },
  fchmodat: { dfd: dirfd, mode: fileMode },
  fchmodat2: { dfd: dirfd, mode: fileMode, flags: atFlags },
  access: { mode: accessMode },
  faccessat: { dfd: dirfd, mode: accessMode },
  faccessat2: { dfd: dirfd, mode: accessMode, flags: faccessatFlags },
  newfstatat: { dfd: dirfd, flag: atFlags },
  statx: { dfd: dirfd, flags: statxFlags, mask: statxMask },
  unlinkat: { dfd: dirfd, flag: atFlags },
  renameat: { olddfd: dirfd, newdfd: dirfd },
  renameat2: { olddfd: dirfd, newdfd: dirfd, flags: flagsDecoder('rename_flags') },
  linkat: { olddfd: dirfd, newdfd: dirfd, flags: atFlags },
  symlinkat: { newdfd: dirfd },
  readlinkat: { dfd: dirfd },
  fchownat: { dfd: dirfd, flag: atFlags },
  utimensat: { dfd: dirfd, flags: atFlags },
  execveat: { fd: dirfd, flags: atFlags },
  lseek: { whence: enumDecoder('seek_whence') },
  fcntl: { cmd: enumDecoder('fcntl_cmd'), arg: fcntlArg },
  pipe2: { flags: fdFlags },
  dup3: { flags: fdFlags },
  inotify_init1: { flags: fdFlags },
  epoll_create1: { flags: flagsDecoder('epoll_create_flags') },
  umask: { mask: umaskValue },
  eventfd2: { flags: flagsDecoder('eventfd_flags') },
  signalfd4: { flags: flagsDecoder('signalfd_flags') },
  timerfd_create: { clockid: clockId, flags: fdFlags },
  // memory
  mmap: { prot: mmapProt, flags: mmapFlags },
  mprotect: { prot: mmapProt },
  mremap: { flags: flagsDecoder('mremap_flags') },
  pkey_mprotect: { prot: mmapProt },
  pkey_alloc: { init_val: flagsDecoder('pkey_access') },
  madvise: { behavior: enumDecoder('madvise_advice') },
  // processes and signals
  clone: { clone_flags: cloneFlags },
  unshare: { unshare_flags: cloneFlags },
  setns: { flags: cloneFlags },
  wait4: { options: flagsDecoder('wait_options') },
  waitid: { which: enumDecoder('waitid_which'), options: flagsDecoder('waitid_options') },
  kill: { sig: signal },
  tkill: { sig: signal },
  tgkill: { sig: signal },
  pidfd_send_signal: { sig: signal },
  rt_sigaction: { sig: signal },
  rt_sigprocmask: { how: enumDecoder('sigprocmask_how') },
  prctl: { option: enumDecoder('prctl_option') },
  arch_prctl: { option: enumDecoder('arch_prctl_code') },
  getrlimit: { resource: rlimitResource },
  setrlimit: { resource: rlimitResource },
  prlimit64: { resource: rlimitResource },
  getrusage: { who: (value) => enumeration('rusage_who', value | 0) },
  sched_setscheduler: { policy: schedPolicy },
  sched_get_priority_max: { policy: schedPolicy },
  sched_get_priority_min: { policy: schedPolicy },
  getitimer: { which: enumDecoder('itimer_which') },
  setitimer: { which: enumDecoder('itimer_which') },
  clock_gettime: { which_clock: clockId },
  clock_getres: { which_clock: clockId },
  clock_settime: { which_clock: clockId },
  clock_nanosleep: { which_clock: clockId, flags: clockFlags },
  timer_create: { which_clock: clockId },
  timer_settime: { flags: clockFlags },
  getpriority: { which: priorityWhich, who: priorityWho },
  setpriority: { which: priorityWhich, who: priorityWho },
  // sockets
  socket: { family: enumDecoder('socket_family'), type: socketType, protocol: socketProtocol },
  setsockopt: { level: enumDecoder('sockopt_level'), optname: socketOption },
  getsockopt: { level: enumDecoder('sockopt_level'), optname: socketOption },
  socketpair: { family: enumDecoder('socket_family'), type: socketType },
  accept4: { flags: flagsDecoder('socket_type_flags') },
  sendto: { flags: msgFlags },
  recvfrom: { flags: msgFlags },
  sendmsg: { flags: msgFlags },
  recvmsg: { flags: msgFlags },
  sendmmsg: { flags: msgFlags },
  recvmmsg: { flags: msgFlags },
  shutdown: { how: enumDecoder('shutdown_how') },
  // waiting and devices
  futex: { op: futexOp },
  epoll_ctl: { op: enumDecoder('epoll_ctl_op') },
  ioctl: { cmd: ioctlRequest },
  getrandom: { flags: flagsDecoder('getrandom_flags') },
  memfd_create: { flags: flagsDecoder('memfd_flags') },
  fadvise64: { advice: enumDecoder('fadvise_advice') },
};

/** uid_t and gid_t: strace writes (uid_t)-1, "leave unchanged", as -1; perf the number. */
const ID_TYPE = /^(uid_t|gid_t)$/;
const userOrGroupId: ArgDecoder = (value) => {
  const id = value >>> 0;
  return { strace: userOrGroupIdText(id), perf: String(id) };
};

const byNumber = new Map<number, readonly (ArgDecoder | undefined)[]>();

/** The decoder of each argument of syscall nr, in argument order (undefined: shown raw). */
export function argDecoders(nr: number): readonly (ArgDecoder | undefined)[] {
  let decoders = byNumber.get(nr);
  if (!decoders) {
    const info = syscallInfo(nr);
    const table = info ? ARG_DECODERS[info.name] : undefined;
    decoders = info ? info.args.map((arg) => table?.[arg.name] ?? (ID_TYPE.test(arg.type) ? userOrGroupId : undefined)) : [];
    byNumber.set(nr, decoders);
  }
  return decoders;
}
