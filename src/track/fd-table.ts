// What each traced process's file descriptors refer to, for -y (`read(3</etc/hosts>, ...)`)
// and -yy (`3<TCP:[127.0.0.1:40000->127.0.0.1:8080]>`). Built from what the kernel knew at
// the calls: a snapshot of /proc/PID/fd when a process is first seen, then the open, socket,
// dup, close, connect, bind, accept, chdir and execve calls traced since. What the trace cannot
// say (a pipe's inode, a socket's kernel-chosen port) is read from /proc when first shown.
import fs from 'node:fs';
import path from 'node:path';
import type { Capture, SyscallCall } from '../pair/call-pairer';
import { bpftrace_ts } from '../generated/batch';
import { endpointText } from '../decode/sockaddr';
import { syscallInfo } from '../syscalls/syscall-table';
import { errnoNumber } from '../syscalls/raw-args';
import { KERNEL_VALUES as K } from '../generated/flag-tables';
import { tableValue } from '../decode/symbols';

const { CaptureKind, CaptureFlag } = bpftrace_ts;

interface SocketInfo {
  family: number;
  type: number;
  local?: string;
  remote?: string;
}

interface FdEntry {
  /** What /proc/PID/fd/N says, or the path opened; undefined: ask /proc when shown. */
  target?: string;
  closeOnExec: boolean;
  socket?: SocketInfo;
}

/** Processes whose tables are kept, at most; the least recently used goes first. */
const MAX_PROCESSES = 4096;
/** Descriptors kept per process, at most. */
const MAX_FDS = 65536;
const { AT_FDCWD, O_CLOEXEC, SOCK_CLOEXEC, F_DUPFD, F_DUPFD_CLOEXEC, CLONE_FILES, SOCK_TYPE_MASK, SOCK_STREAM, SOCK_DGRAM } = K;
const EINPROGRESS = errnoNumber('EINPROGRESS');
const [AF_UNIX, AF_INET, AF_INET6] = ['AF_UNIX', 'AF_INET', 'AF_INET6'].map((name) => tableValue('socket_family', name));

function readLink(file: string): string | undefined {
  try {
    return fs.readlinkSync(file);
  } catch {
    return undefined;
  }
}

function captured(call: SyscallCall, arg: number, kind: number): Uint8Array | undefined {
  return call.captures?.find((c: Capture) => c.arg === arg && c.kind === kind && !(c.flags & CaptureFlag.CAPTURE_FAULT))?.data;
}

/** A string argument as the call's data holds it (a path as the program passed it). */
export function capturedString(call: SyscallCall, arg: number): string | undefined {
  const data = captured(call, arg, CaptureKind.CAPTURE_STRING);
  return data && Buffer.from(data).toString('latin1');
}

/** Protocol names as strace -yy writes them. */
function protocolName(socket: SocketInfo): string {
  const type = socket.type & SOCK_TYPE_MASK;
  if (socket.family === AF_INET) return type === SOCK_DGRAM ? 'UDP' : 'TCP';
  if (socket.family === AF_INET6) return type === SOCK_DGRAM ? 'UDPv6' : 'TCPv6';
  if (socket.family === AF_UNIX) return type === SOCK_DGRAM ? 'UNIX-DGRAM' : type === SOCK_STREAM ? 'UNIX-STREAM' : 'UNIX';
  return 'socket';
}

/** The /proc/PID/net tables of inet sockets, with the family and type of their sockets. */
const INET_TABLES = [['tcp', AF_INET, SOCK_STREAM], ['tcp6', AF_INET6, SOCK_STREAM], ['udp', AF_INET, SOCK_DGRAM],
  ['udp6', AF_INET6, SOCK_DGRAM]] as const;

/** An inet socket that was open before the trace saw it made: its family, type and ends,
 * found by inode in /proc/PID/net/{tcp,udp}[6]; undefined for other sockets. */
function procNetSocket(pid: number, inode: string): SocketInfo | undefined {
  for (const [, family, type] of INET_TABLES) {
    const socket: SocketInfo = { family, type };
    const ends = procNetEndpoints(pid, socket, inode);
    if (!ends) continue;
    socket.local = ends.local;
    if (!/:0$/.test(ends.remote)) socket.remote = ends.remote;
    return socket;
  }
  return undefined;
}

/** A socket's endpoints from /proc/PID/net/{tcp,udp}[6] by inode: what the kernel chose. */
function procNetEndpoints(pid: number, socket: SocketInfo, inode: string): { local: string; remote: string } | undefined {
  const type = (socket.type & SOCK_TYPE_MASK) === SOCK_DGRAM ? SOCK_DGRAM : SOCK_STREAM;
  const table = INET_TABLES.find(([, family, tableType]) => family === socket.family && tableType === type)?.[0];
  if (!table) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/net/${table}`, 'latin1');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[9] !== inode) continue;
    return { local: procAddress(fields[1]), remote: procAddress(fields[2]) };
  }
  return undefined;
}

/** 0100007F:1F90 -> 127.0.0.1:8080 (the address in host order, 32 bits at a time). */
function procAddress(field: string): string {
  const [addressHex, portHex] = field.split(':');
  const port = parseInt(portHex, 16);
  const words = addressHex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((word) => [0, 1, 2, 3].map((i) => parseInt(word.slice(6 - 2 * i, 8 - 2 * i), 16)));
  if (bytes.length === 4) return `${bytes.join('.')}:${port}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return `[${groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')}]:${port}`;
}

export class FdTable {
  private readonly processes = new Map<number, Map<number, FdEntry>>();
  private readonly cwds = new Map<number, string>();

  /** A descriptor argument meaning "relative to the working directory". */
  static readonly AT_FDCWD = AT_FDCWD;

  /** sockets: -yy, endpoints of sockets too. live: what the trace did not see is read from
   * /proc (false for a recording: its processes are gone, their pids maybe reused). */
  constructor(private readonly sockets: boolean, private readonly live = true) {}

  /** Whether an argument of this name is a file descriptor. */
  static isDescriptorArgument(argName: string): boolean {
    return FD_ARGUMENT.test(argName);
  }

  /** Reads every descriptor process pid has now (a process the tracer attaches to): they
   * are known even if the process has ended by the time its calls are shown. */
  snapshot(pid: number): void {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      return;
    }
    for (const fd of fds) this.entry(pid, Number(fd));
  }

  /** What a descriptor refers to (a path, `socket:[123]`...), undefined when not known. */
  target(pid: number, fd: number): string | undefined {
    const entry = this.entry(pid, fd);
    if (entry && this.live) entry.target ??= readLink(`/proc/${pid}/fd/${fd}`);
    return entry?.target;
  }

  /** The syscalls whose calls the table learns from: traced whatever -e shows, so that what
   * a descriptor is does not depend on which calls are displayed. */
  static trackedSyscalls(): string[] {
    return [...CHANGES_FDS, ...RETURNS_FD];
  }

  /** Whether a successful call of this syscall returns a new descriptor. */
  static returnsDescriptor(nr: number): boolean {
    return RETURNS_FD.has(syscallInfo(nr)?.name ?? '');
  }

  /** Records what descriptor fd of process pid refers to. */
  name(pid: number, fd: number, target: string): void {
    const entry = this.table(pid).get(fd);
    if (entry) entry.target = target;
  }

  /** A path argument made absolute, as the kernel would look it up: against the directory
   * descriptor dirfd (AT_FDCWD: the working directory); undefined when that is not known. */
  resolve(pid: number, dirfd: number, file: string): string | undefined {
    return this.opened(pid, dirfd, file, 0).target;
  }

  /** `<path>` for a descriptor of process pid, '' when nothing is known. */
  annotation(pid: number, fd: number): string {
    const entry = this.entry(pid, fd);
    if (!entry) return '';
    entry.target ??= readLink(`/proc/${pid}/fd/${fd}`);
    // A socket of a process gone by now still shows what its traced calls said.
    if (this.sockets && entry.socket && (entry.target === undefined || entry.target.startsWith('socket:[')))
      return `<${this.socketText(pid, entry)}>`;
    return entry.target === undefined ? '' : `<${entry.target}>`;
  }

  /** `<path>` after an argument that is a descriptor (by its name), '' after any other. */
  argumentAnnotation(pid: number, argName: string, value: number): string {
    return FD_ARGUMENT.test(argName) && (value | 0) >= 0 ? this.annotation(pid, value | 0) : '';
  }

  /** `<path>` after the result of a call that made a descriptor, '' after any other. */
  resultAnnotation(pid: number, syscall: string, ret: number | null): string {
    return ret !== null && ret >= 0 && RETURNS_FD.has(syscall) ? this.annotation(pid, ret) : '';
  }

  /** Takes a finished call into the table (src/track/call-tracker.ts notes its line's names first). */
  update(call: SyscallCall): void {
    if (call.state !== 'returned' || call.args === null || call.ret === null) return;
    const name = syscallInfo(call.nr)?.name;
    // A non-blocking connect under way has its peer already (strace -yy shows it).
    if (call.ret < 0 && !(name === 'connect' && call.ret === -EINPROGRESS)) return;
    const { pid, args, ret } = call;
    const fds = this.table(pid);
    switch (name) {
      case 'open': case 'creat':
        this.set(fds, ret, this.opened(pid, AT_FDCWD, capturedString(call, 0), name === 'open' ? args[1] : 0));
        break;
      case 'openat':
        this.set(fds, ret, this.opened(pid, args[0] | 0, capturedString(call, 1), args[2]));
        break;
      case 'openat2':
        this.set(fds, ret, this.opened(pid, args[0] | 0, capturedString(call, 1), 0));
        break;
      case 'close':
        fds.delete(args[0] | 0);
        break;
      case 'close_range':
        for (const fd of [...fds.keys()]) if (fd >= args[0] && fd <= args[1]) fds.delete(fd);
        break;
      case 'dup':
        this.copy(fds, args[0] | 0, ret, false);
        break;
      case 'dup2': case 'dup3':
        this.copy(fds, args[0] | 0, args[1] | 0, name === 'dup3' && (args[2] & O_CLOEXEC) !== 0);
        break;
      case 'fcntl':
        if (args[1] === F_DUPFD || args[1] === F_DUPFD_CLOEXEC) this.copy(fds, args[0] | 0, ret, args[1] === F_DUPFD_CLOEXEC);
        break;
      case 'socket':
        this.set(fds, ret, { closeOnExec: (args[1] & SOCK_CLOEXEC) !== 0, socket: { family: args[0], type: args[1] } });
        break;
      case 'accept': case 'accept4': {
        const listening = fds.get(args[0] | 0)?.socket;
        const peer = captured(call, 1, CaptureKind.CAPTURE_STRUCT);
        this.set(fds, ret, {
          closeOnExec: name === 'accept4' && (args[3] & SOCK_CLOEXEC) !== 0,
          socket: listening && { family: listening.family, type: listening.type, local: listening.local, remote: peer && (endpointText(peer) ?? undefined) },
        });
        break;
      }
      case 'connect': case 'bind': case 'getsockname': case 'getpeername': {
        const socket = fds.get(args[0] | 0)?.socket;
        const address = captured(call, 1, CaptureKind.CAPTURE_STRUCT);
        const remote = name === 'connect' || name === 'getpeername';
        if (socket && address) socket[remote ? 'remote' : 'local'] = endpointText(address) ?? undefined;
        break;
      }
      case 'pipe': case 'pipe2': case 'socketpair': {
        const pair = captured(call, name === 'socketpair' ? 3 : 0, CaptureKind.CAPTURE_STRUCT);
        if (pair && pair.length >= 8) {
          const view = new DataView(pair.buffer, pair.byteOffset, 8);
          for (const offset of [0, 4]) this.set(fds, view.getInt32(offset, true), { closeOnExec: false });
        }
        break;
      }
      case 'chdir': {
        const dir = capturedString(call, 0);
        if (dir !== undefined) this.cwds.set(pid, path.resolve(this.cwd(pid) ?? '/', dir));
        break;
      }
      case 'fchdir': {
        const target = fds.get(args[0] | 0)?.target;
        if (target?.startsWith('/')) this.cwds.set(pid, target);
        break;
      }
      case 'execve': case 'execveat':
        for (const [fd, entry] of fds) if (entry.closeOnExec) fds.delete(fd);
        break;
      case 'clone': case 'clone3': case 'fork': case 'vfork':
        // A new process gets a copy of the table (a new thread shares it: same pid).
        if (ret > 0 && !(name === 'clone' && (args[0] & CLONE_FILES))) this.fork(pid, ret);
        break;
      default:
        // Any other call that made a descriptor: what it is will be read from /proc when shown.
        if (RETURNS_FD.has(name ?? '')) this.set(fds, ret, { closeOnExec: false });
    }
  }

  private opened(pid: number, dirfd: number, file: string | undefined, flags: number): FdEntry {
    const entry: FdEntry = { closeOnExec: (flags & O_CLOEXEC) !== 0 };
    if (file === undefined) return entry;
    if (file.startsWith('/')) entry.target = path.normalize(file);
    else {
      const base = dirfd === AT_FDCWD ? this.cwd(pid) : this.table(pid).get(dirfd)?.target;
      if (base?.startsWith('/')) entry.target = path.resolve(base, file);
    }
    return entry;
  }

  private cwd(pid: number): string | undefined {
    let dir = this.cwds.get(pid);
    if (dir === undefined && this.live) {
      dir = readLink(`/proc/${pid}/cwd`);
      if (dir !== undefined) this.cwds.set(pid, dir);
    }
    return dir;
  }

  private entry(pid: number, fd: number): FdEntry | undefined {
    const fds = this.table(pid);
    let entry = fds.get(fd);
    if (!entry && this.live) {
      // Not opened under the trace (or inherited before it): what the kernel says now; a
      // socket's family, type and ends too (a listening socket's accepts inherit them).
      const target = readLink(`/proc/${pid}/fd/${fd}`);
      if (target === undefined) return undefined;
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      entry = { target, closeOnExec: false, socket: inode !== undefined && this.sockets ? procNetSocket(pid, inode) : undefined };
      this.set(fds, fd, entry);
    }
    return entry;
  }

  private table(pid: number): Map<number, FdEntry> {
    let fds = this.processes.get(pid);
    if (fds) {
      this.processes.delete(pid); // most recently used last
      this.processes.set(pid, fds);
      return fds;
    }
    fds = new Map();
    if (this.processes.size >= MAX_PROCESSES) this.processes.delete(this.processes.keys().next().value as number);
    this.processes.set(pid, fds);
    return fds;
  }

  private set(fds: Map<number, FdEntry>, fd: number, entry: FdEntry): void {
    if (fds.size >= MAX_FDS && !fds.has(fd)) return;
    fds.set(fd, entry);
  }

  private copy(fds: Map<number, FdEntry>, from: number, to: number, closeOnExec: boolean): void {
    const source = fds.get(from);
    if (from === to) return;
    if (!source) fds.delete(to);
    else this.set(fds, to, { ...source, closeOnExec, socket: source.socket && { ...source.socket } });
  }

  private fork(parent: number, child: number): void {
    const copy = new Map<number, FdEntry>();
    for (const [fd, entry] of this.table(parent)) copy.set(fd, { ...entry, socket: entry.socket && { ...entry.socket } });
    this.processes.set(child, copy);
    const dir = this.cwds.get(parent);
    if (dir !== undefined) this.cwds.set(child, dir);
  }

  private socketText(pid: number, entry: FdEntry): string {
    const inode = /^socket:\[(\d+)\]$/.exec(entry.target ?? '')?.[1] ?? '?';
    const socket = entry.socket;
    if (!socket) return entry.target ?? 'socket';
    if (!socket.local || !socket.remote) {
      const found = procNetEndpoints(pid, socket, inode);
      if (found) {
        socket.local = found.local;
        if (!/:0$/.test(found.remote)) socket.remote = found.remote;
      }
    }
    // The kernel-chosen end of a connection is known only from /proc while the socket lives.
    const ends = socket.local && socket.remote ? `${socket.local}->${socket.remote}`
      : socket.remote ? `->${socket.remote}` : socket.local ?? inode;
    return `${protocolName(socket)}:[${ends}]`;
  }
}

/** Arguments that name a descriptor. */
const FD_ARGUMENT = /^(fd|fildes|ufd|dfd|olddfd|newdfd|oldfd|newfd|epfd|out_fd|in_fd|fd_in|fd_out)$/;

/** Calls that change what a process's descriptors refer to, besides those that return one
 * (RETURNS_FD): the cases of FdTable.update. */
const CHANGES_FDS = ['close', 'close_range', 'dup2', 'dup3', 'fcntl', 'connect', 'bind', 'getsockname', 'getpeername',
  'pipe', 'pipe2', 'socketpair', 'chdir', 'fchdir', 'execve', 'execveat', 'clone', 'clone3', 'fork', 'vfork'];

/** Calls whose result is a new descriptor. */
const RETURNS_FD = new Set(['open', 'creat', 'openat', 'openat2', 'dup', 'socket', 'accept', 'accept4',
  'eventfd', 'eventfd2', 'epoll_create', 'epoll_create1', 'signalfd', 'signalfd4', 'timerfd_create', 'inotify_init',
  'inotify_init1', 'memfd_create', 'pidfd_open', 'pidfd_getfd', 'userfaultfd', 'perf_event_open', 'fanotify_init',
  'open_by_handle_at', 'open_tree', 'fsopen', 'fsmount', 'fspick', 'memfd_secret', 'io_uring_setup']);
