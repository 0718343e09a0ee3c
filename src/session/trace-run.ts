// One trace from start to exit status: starts the native session, hands its messages to what
// the run composed (src/pipeline/live-trace.ts: the display, a recording, the flight
// recorder), and reports the end.
import fs from 'node:fs';
import os from 'node:os';
import { bpftrace_ts } from '../generated/batch';
import { bpfCapabilityReasonOf, bpfStartFailure, ptraceFallbackNote, ptraceStartFailure } from './capabilities';
import { nativeCaptureRules } from '../syscalls/capture-rules';
import { loadAddon, type AttachMode, type InjectRule, type NativeError, type NativeTraceSession, type SessionEnd, type SessionSpec, type SessionStarted, type UserIdentity } from './native-addon';
import type { AggregateOptions } from '../aggregate/aggregate-view';
import { argumentCounts } from '../syscalls/syscall-table';
import { noteEvents, noteSessionCalled, noteSessionStarted, startupTimesLine, startupTimesWanted } from './startup-times';
import { UserError } from '../user-errors';

export interface TraceOptions {
  /** Resolved path and argv of a command to launch, and the user it runs as (-u). */
  command?: { path: string; argv: string[]; user?: UserIdentity };
  /** Thread group ids to attach to. */
  pids?: number[];
  all: boolean;
  syscalls?: number[];
  /** ptrace: -e on a launched command installs a seccomp filter (false: --no-seccomp-bpf). */
  seccomp: boolean;
  /** -e inject (ptrace backend only): calls to make fail, return a value, or wait. */
  inject?: InjectRule[];
  failureOnly: boolean;
  comm?: string;
  /** --cgroup: only tasks in this cgroup v2 (its directory's inode number); eBPF only. */
  cgroupId?: number;
  inherit: boolean;
  bufferBytes: number;
  /** eBPF: the tracer's own threads run this much nicer (--nice). */
  niceIncrement: number;
  verbose: boolean;
  attachMode?: AttachMode;
  /** --summary-only, --hist: count in the kernel instead of streaming every call. */
  aggregate?: AggregateOptions;
  /** eBPF, ptrace, or eBPF with ptrace where eBPF cannot run. */
  backend: Backend;
  /** -s: bytes of each string and buffer the backend copies. */
  stringLimit: number;
  /** -k: frames of each call's user-space stack; 0: none. */
  stackFrames: number;
  /** -q: no attach and detach notices. */
  quiet: number;
}

/** What a session's messages go to (src/pipeline/live-trace.ts composes it: the display, a
 * recording, the flight recorder). A method that throws fails the trace. */
export interface SessionConsumer {
  /** The session started: what only it knows (its clock, the command's pid). fail: a later
   * error of the consumer's own (a dump that could not be written) fails the trace. */
  started(started: SessionStarted, session: StartedSession, fail: (error: unknown) => void): void;
  /** One message of the session. */
  add(bytes: Buffer): void;
  /** The session ended: what is left is written. */
  end(end: SessionEnd, commandPid: number | null): void;
  /** The trace failed: nothing is left looking complete. */
  discard(): void;
  /** An error that only means the reader of the output went away (the trace goes on). */
  readerGone(error: unknown): boolean;
  /** The closing line's start: what was seen, counted or recorded. */
  totals(end: SessionEnd, backend: string): string;
  /** The session did not start: what was opened for it is closed. */
  close(): void;
}

/** The started session, as a recording's header says it. */
export interface StartedSession {
  backend: string;
  /** CLOCK_REALTIME ns of time 0 in the trace. */
  startUnixNs: number;
  commandPid: number;
}

export type Backend = 'auto' | 'bpf' | 'ptrace';

const KERNEL_GROUPING = { process: 'process', thread: 'thread', none: 'syscall', syscall: 'syscall', comm: 'comm', pid: 'process' } as const;

function exitStatus(end: SessionEnd): number {
  if (end.reason !== 'command-exited') return 0;
  if (end.exitCode !== null) return end.exitCode;
  const signal = end.signal ? os.constants.signals[`SIG${end.signal}` as keyof typeof os.constants.signals] : undefined;
  return signal ? 128 + signal : 1;
}

function log(line: string): void {
  process.stderr.write(`bpftrace-ts: ${line}\n`);
}

/** Why the eBPF backend cannot run on this machine, from the kind of its load error; null if
 * the error is about something else (no such process, a command that cannot run). */
export function ebpfUnavailableReason(error: Pick<NativeError, 'message' | 'kind'>): string | null {
  const { NativeErrorKind } = bpftrace_ts;
  switch (error.kind) {
    case NativeErrorKind.ERROR_NO_BTF: return 'the kernel has no BTF';
    case NativeErrorKind.ERROR_NO_RING_BUFFER: return 'the kernel has no BPF ring buffer (Linux 5.8 or later)';
    case NativeErrorKind.ERROR_NO_BPF_PERMISSION: return 'no permission to load BPF programs';
    case NativeErrorKind.ERROR_BPF_LOAD:
    case NativeErrorKind.ERROR_RING_BUFFER: return error.message;
    default: return null;
  }
}

type Callbacks = Parameters<NativeTraceSession['start']>;

/** Starts the backend asked for; with 'auto', ptrace where eBPF cannot load, said in one line. */
function startSession(options: TraceOptions, spec: SessionSpec, prepared: NativeTraceSession | undefined,
  ...callbacks: Callbacks): { session: NativeTraceSession; started: SessionStarted } {
  const addon = loadAddon();
  const start = (Session: typeof addon.TraceSession) => {
    const session = Session === addon.TraceSession && prepared ? prepared : new Session(spec);
    return { session, started: session.start(...callbacks) };
  };
  const startPtrace = () => {
    try {
      return start(addon.PtraceSession);
    } catch (error) {
      throw new UserError(ptraceStartFailure(error as NativeError));
    }
  };
  if (options.backend === 'ptrace') return startPtrace();
  try {
    return start(addon.TraceSession);
  } catch (error) {
    // -v: the verifier's last words, and the other attach flavours' failures.
    if (options.verbose) for (const line of (error as NativeError).detail?.split('\n') ?? []) log(`  ${line}`);
    const reason = ebpfUnavailableReason(error as NativeError);
    if (options.backend === 'bpf' || reason === null) throw error;
    const needsEbpf = options.all ? '-a' : options.aggregate ? 'in-kernel counting' : options.cgroupId !== undefined ? '--cgroup' : null;
    if (needsEbpf) throw new UserError(`${bpfStartFailure(error as NativeError)} (${needsEbpf} needs eBPF)`);
    log(ptraceFallbackNote(bpfCapabilityReasonOf(error as NativeError) ?? reason));
    return startPtrace();
  }
}

/** eBPF: a session whose programs load and attach on a native thread while the JavaScript gets the
 * output ready; startSession() then waits for them. Nothing if the spec is refused: startSession()
 * makes the session again and says why. */
function prepareSession(options: TraceOptions, spec: SessionSpec): NativeTraceSession | undefined {
  if (options.backend === 'ptrace') return undefined;
  let session: NativeTraceSession;
  try {
    session = new (loadAddon().TraceSession)(spec);
  } catch {
    return undefined;
  }
  session.prepare?.();
  return session;
}

/** The signals that stop a trace as Ctrl-C does. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** consumerOf: what the messages go to, made once the programs are loading (stop: ends the
 * trace, as Ctrl-C does). */
export function runTrace(options: TraceOptions, consumerOf: (stop: () => void) => SessionConsumer): Promise<number> {
  let epochNsAtStart = Date.now() * 1e6; // set from the session's clock once it started
  let ptrace = false; // the backend, once it started
  const spec: SessionSpec = {
    all: options.all,
    followChildren: options.inherit,
    syscalls: options.syscalls,
    seccomp: options.seccomp,
    inject: options.inject,
    comm: options.comm,
    ringBytes: options.bufferBytes,
    niceIncrement: options.niceIncrement,
    verbose: options.verbose,
    attachMode: options.attachMode,
    command: options.command && {
      ...options.command,
      env: Object.entries(process.env).map(([key, value]) => `${key}=${value ?? ''}`),
    },
    pids: options.pids,
    argCounts: argumentCounts(),
    captures: options.aggregate ? undefined : nativeCaptureRules(options.stringLimit),
    stackFrames: options.stackFrames || undefined,
    aggregate: options.aggregate && {
      by: KERNEL_GROUPING[options.aggregate.by],
      failuresOnly: options.failureOnly,
      intervalMs: options.aggregate.intervalMs,
    },
    cgroupId: options.cgroupId,
  };

  noteSessionCalled();
  const prepared = prepareSession(options, spec);
  let stopping = false;
  let failure: Error | undefined;
  let session: NativeTraceSession | undefined;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    session?.stop();
  };
  // Made once the programs are loading (prepareSession): the formatters and decoders are most of
  // our modules' start-up, and evaluate while the kernel verifies.
  const sink = consumerOf(stop); // what the messages go to

  const fail = (error: unknown): void => {
    if (!sink.readerGone(error)) failure ??= error as Error;
    stop();
  };

  return new Promise<number>((resolve) => {
    const onBatch = (bytes: Buffer): void => {
      noteEvents();
      try {
        sink.add(bytes);
      } catch (error) {
        fail(error);
      }
    };
    const onEnd = (end: SessionEnd): void => {
      for (const signal of STOP_SIGNALS) process.off(signal, stop);
      try {
        sink.end(end, childPid);
      } catch (error) {
        fail(error);
      }
      if (failure) {
        sink.discard();
        log(failure instanceof UserError ? failure.message : `error: ${failure.message}`);
        resolve(1);
        return;
      }
      // The seccomp filter outlives the tracer, and would make the selected calls fail.
      if (end.killedPids.length > 0)
        log(`killed ${end.killedPids.join(', ')} when the trace stopped: under the -e seccomp filter the selected calls ` +
          'would fail (ENOSYS) without a tracer, as with strace --seccomp-bpf; --no-seccomp-bpf stops at every call instead ' +
          'and lets the processes run on when the trace stops');
      // As strace says when it lets processes go (Ctrl-C); -q: not.
      if (end.reason === 'stopped' && options.quiet === 0)
        for (const pid of options.pids ?? []) if (fs.existsSync(`/proc/${pid}`)) log(`Process ${pid} detached`);
      const backend = attachMode === 'ptrace' ? 'backend ptrace' : `backend bpf (${attachMode})`;
      let totals = sink.totals(end, backend);
      if (end.lostTaskExits > 0) totals += `, ${end.lostTaskExits} thread exits lost`;
      if (end.lostSignals > 0) totals += `, ${end.lostSignals} signals lost`;
      log(totals);
      if (startupTimesWanted()) log(startupTimesLine());
      if (!options.aggregate && !ptrace && end.lostEvents > 0)
        log('events were lost: the tracer fell behind the ring buffer; a larger --buffer-size holds longer bursts' +
          (options.niceIncrement > 0 ? ', --nice 0 lets the tracer compete with the traced programs for the CPU' : ''));
      if (options.verbose && !options.aggregate) {
        const copies = end.argumentCopies;
        log(`argument copies: ${copies.atEntry} at the entry, ${copies.retriedAtExit} retried at the exit after a fault, ${copies.failed} failed`);
      }
      resolve(exitStatus(end));
    };

    let attachMode = '';
    let childPid: number | null = null;
    let started: SessionStarted;
    // Heard from before the attach: a Ctrl-C while it is under way stops the trace once the
    // session exists (the handlers run on the event loop, after startSession returns) instead of
    // killing the tracer with the default action.
    for (const signal of STOP_SIGNALS) process.on(signal, stop);
    try {
      ({ session, started } = startSession(options, spec, prepared, onBatch, onEnd));
      noteSessionStarted(started);
      attachMode = started.attachMode;
      ptrace = attachMode === 'ptrace';
      childPid = started.childPid;
      epochNsAtStart = Date.now() * 1e6 - (Number(process.hrtime.bigint()) - started.startNs);
    } catch (error) {
      for (const signal of STOP_SIGNALS) process.off(signal, stop);
      sink.close();
      throw error instanceof UserError ? error : new UserError(bpfStartFailure(error as NativeError));
    }
    try {
      // What only the started session knows: its clock, the command's pid.
      sink.started(started, { backend: ptrace ? 'ptrace' : `bpf (${attachMode})`, startUnixNs: epochNsAtStart, commandPid: childPid ?? 0 }, fail);
    } catch (error) {
      fail(error);
    }
    if (options.quiet === 0) for (const pid of options.pids ?? []) log(`Process ${pid} attached`);
    if (options.verbose && started.attachMode === 'ptrace') {
      log('backend ptrace' + (started.childPid !== null ? `, command pid ${started.childPid}` : ''));
    } else if (options.verbose) {
      log(`backend bpf, attached with ${started.attachMode}, ring buffer ${options.bufferBytes / (1 << 20)} MiB` +
        (started.childPid !== null ? `, command pid ${started.childPid}` : ''));
      // How it loaded (libbpf's own messages carry their "libbpf: ").
      for (const line of started.log.split('\n').filter(Boolean)) log(line);
    }
  });
}
