// The typed face of the native addon (native/addon/addon.cc): the local build (cmake-js, build/Release)
// in a checkout, else the prebuild the package ships (prebuilds/linux-x64, scripts/prebuild.js).
import fs from 'node:fs';
import path from 'node:path';
import type { NativeCaptureRule } from '../syscalls/capture-rules';
import type { bpftrace_ts } from '../generated/batch';

export type AttachMode = 'tp_btf' | 'raw_tp' | 'tracepoint';

export interface SessionSpec {
  all: boolean;
  followChildren: boolean;
  /** Syscall numbers to trace; undefined traces all. */
  syscalls?: number[];
  /** ptrace, -e on a launched command: stop at the selected calls only, with a seccomp
   * filter (default), or at every call (false). */
  seccomp?: boolean;
  /** Calls to tamper with (the ptrace backend; the eBPF one only observes). */
  inject?: InjectRule[];
  comm?: string;
  ringBytes: number;
  /** eBPF: every thread of the tracer is made this much nicer once the command was forked. */
  niceIncrement?: number;
  verbose: boolean;
  attachMode?: AttachMode;
  command?: { path: string; argv: string[]; env: string[]; user?: UserIdentity };
  /** Thread group ids to attach to. */
  pids?: number[];
  /** eBPF: how many arguments each syscall takes, by number; entries of those with few carry
   * no more (the others read as 0). */
  argCounts?: number[];
  /** Arguments to copy from the traced program's memory (src/syscalls/capture-rules.ts); none if absent. */
  captures?: NativeCaptureRule[];
  /** -k: frames of each call's user-space stack (1..127); no stacks if absent. */
  stackFrames?: number;
  /** Count calls in kernel tables instead of streaming them; batches are then Aggregates. */
  aggregate?: {
    by: 'syscall' | 'process' | 'thread' | 'comm';
    failuresOnly: boolean;
    /** A snapshot (and a fresh table) every interval; without it, one at the end. */
    intervalMs?: number;
  };
  /** Only tasks in this cgroup v2 (its directory's inode number). */
  cgroupId?: number;
}

/** Who a launched command runs as (-u): uid, primary gid, supplementary groups. */
export interface UserIdentity {
  uid: number;
  gid: number;
  groups: number[];
}

export interface SessionStarted {
  /** How the eBPF programs attached, or 'ptrace' for the ptrace backend. */
  attachMode: AttachMode | 'ptrace';
  childPid: number | null;
  log: string;
  /** CLOCK_MONOTONIC ns of time 0 in the batches (process.hrtime's clock). */
  startNs: number;
  /** eBPF: milliseconds to open and load (verify) the programs, and then to attach them. */
  loadMs?: number;
  attachMs?: number;
  /** eBPF: how long start() waited for the programs prepare() was loading. */
  loadWaitMs?: number;
}

/** One injection, as the native side takes it (native/ptrace/ptrace_session.cc: inject_rules). */
export interface InjectRule {
  syscalls: number[];
  /** The call is not run: it fails with this errno... */
  error?: number;
  /** ...or returns this value. */
  retval?: number;
  /** The call waits this long at its entry, in microseconds. */
  delayEnterUs?: number;
  /** when=: the invocations of each syscall by each task that are tampered with, counting
   * from 1: the first-th, then (step > 0) every step-th after it. */
  first: number;
  step: number;
}

export interface SessionEnd {
  reason: 'command-exited' | 'targets-exited' | 'stopped';
  exitCode: number | null;
  signal: string | null;
  lostEvents: number;
  /** Thread and process ends the eBPF ring had no room for (not counted in lostEvents, which
   * counts syscall events only). */
  lostTaskExits: number;
  /** eBPF: signal deliveries the ring had no room for. */
  lostSignals: number;
  /** Copies of argument data: taken at the entry, retried at the exit after a fault, failed. */
  argumentCopies: { atEntry: number; retriedAtExit: number; failed: number };
  /** ptrace under the -e seccomp filter: the processes killed when the trace stopped. */
  killedPids: number[];
}

/** An error from the addon: the message plus the errno it carries, when there is one. */
export interface NativeError extends Error {
  errno?: number;
  code?: string;
  /** The system's words for errno (strerror). */
  errnoMessage?: string;
  /** Lines for -v: why the BPF programs did not load (the verifier's last words). */
  detail?: string;
  /** What failed (enum NativeErrorKind of proto/batch.proto): what the TypeScript side acts on,
   * the message being for the user. Absent from errors the addon's own checks of its calls throw. */
  kind?: bpftrace_ts.NativeErrorKind;
  /** ERROR_PROCESS: the process that cannot be traced. */
  pid?: number;
}

export interface NativeTraceSession {
  /** eBPF: load and attach the programs on a native thread now; start() waits for them. */
  prepare?(): void;
  start(onBatch: (batch: Buffer) => void, onEnd: (end: SessionEnd) => void): SessionStarted;
  stop(): void;
}

export interface TestEvent {
  kind: 0 | 1 | 2;
  tsNs: number;
  tid: number;
  pid: number;
  nr: number;
  comm?: string;
  args?: number[];
  ret?: number;
}

interface Addon {
  TraceSession: new (spec: SessionSpec) => NativeTraceSession;
  /** The same session over ptrace (no eBPF needed); refuses spec.all. Reads followChildren,
   * syscalls, inject, captures, command and pids. */
  PtraceSession: new (spec: SessionSpec) => NativeTraceSession;
  encodeBatch(events: TestEvent[]): Buffer;
  /** The passwd entry and group list of a user name; null if there is none. */
  lookupUser(name: string): UserIdentity | null;
  /** Latency buckets the kernel side counts (bpf/syscall_event.h). */
  latencyBuckets: number;
}

let addon: Addon | undefined;

/** Where build/ and prebuilds/ are: the nearest folder above this module with a package.json
 * (dist/ for the bundle, dist/session/ for the modules the tests load one by one). */
function packageRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

export function loadAddon(): Addon {
  addon ??= (require('node-gyp-build') as (dir: string) => Addon)(packageRoot());
  return addon;
}
