// One trace from start to exit status: starts the native session, turns its batches into
// calls, filters and formats them, and reports the end.
import fs from 'node:fs';
import os from 'node:os';
import { decodeAggregate, decodeBatch } from './batch-decoder';
import { CallPairer, type ProcessEvent, type SyscallCall } from './call-pairer';
import { nativeCaptureRules } from './capture-rules';
import { formatHistograms, type HistBy } from './format-hist';
import { formatJsonLine } from './format-json';
import { formatTop } from './format-top';
import { PerfFormatter } from './format-perf';
import { StraceFormatter } from './format-strace';
import { FdTable } from './fd-table';
import type { HexMode } from './decode/quote';
import { formatProcessEventJson, formatProcessEventPerf } from './format-process-event';
import { loadAddon, type AttachMode, type NativeError, type NativeTraceSession, type SessionEnd, type SessionSpec, type SessionStarted } from './native-addon';
import { OutputClosedError, OutputSink } from './output-sink';
import { errnoOf } from './raw-args';
import { SyscallSummary, type SummaryBy } from './syscall-summary';
import { UserError } from './usage-error';

export interface TraceOptions {
  /** Resolved path and argv of a command to launch. */
  command?: { path: string; argv: string[] };
  /** Thread group ids to attach to. */
  pids?: number[];
  all: boolean;
  syscalls?: number[];
  failureOnly: boolean;
  minDurationNs: number | null;
  output?: string;
  format: 'perf' | 'strace' | 'json';
  /** -y: file descriptors shown with their paths; -yy: sockets with their endpoints too. */
  decodeFds?: 'paths' | 'sockets';
  /** -x: non-ASCII bytes in hex; -xx: every byte. */
  hex: HexMode;
  /** strace format: -t/-tt/-ttt, -r, -T, --always-show-pid. */
  absoluteTime: number;
  relativeTime: boolean;
  callDuration: boolean;
  alwaysShowPid: boolean;
  /** -s: bytes of each string and buffer shown (paths are shown whole). */
  stringLimit: number;
  maxEvents?: number;
  comm?: string;
  inherit: boolean;
  bufferBytes: number;
  verbose: boolean;
  attachMode?: AttachMode;
  /** -S: after the trace, a table per process (or thread, or one) of every syscall's latency. */
  summaryBy?: SummaryBy;
  /** --summary-only, --hist: count in the kernel instead of streaming every call. */
  aggregate?: AggregateOptions;
  /** eBPF, ptrace, or eBPF with ptrace where eBPF cannot run. */
  backend: Backend;
  /** --summary-only on the ptrace backend: the -S tables from the streamed calls, no call lines. */
  summaryOnly?: boolean;
}

export type Backend = 'auto' | 'bpf' | 'ptrace';

export type AggregateOptions = {
  intervalMs?: number;
  cgroupId?: number;
  /** Output goes to -o, not to a terminal. */
  toFile?: boolean;
} & ({ view: 'summary'; by: SummaryBy } | { view: 'hist'; by: HistBy; top: number } | { view: 'top'; by: 'process'; rows: number });

/** Redraws a terminal from the top left. */
const CLEAR_SCREEN = '\x1b[H\x1b[2J';

const KERNEL_GROUPING = { process: 'process', thread: 'thread', none: 'syscall', syscall: 'syscall', comm: 'comm', pid: 'process' } as const;

/** The text of one snapshot of the kernel's tables. */
function renderAggregate(options: AggregateOptions, bytes: Buffer): { lines: string[]; calls: number; uncounted: number; final: boolean } {
  const snapshot = decodeAggregate(bytes);
  const calls = snapshot.rows.reduce((sum, row) => sum + (row.calls ?? 0), 0);
  let lines: string[];
  if (options.view === 'summary') {
    const summary = new SyscallSummary(options.by);
    for (const row of snapshot.rows) summary.addRow(row);
    lines = summary.render();
  } else if (options.view === 'hist') {
    lines = formatHistograms(snapshot.rows, options.by, options.top);
  } else {
    lines = formatTop(snapshot.rows, Math.max(1e-3, (snapshot.endNs - snapshot.startNs) / 1e9), options.rows);
    // On a terminal each view replaces the last; elsewhere they follow one another.
    if (process.stdout.isTTY && !options.toFile) lines[0] = CLEAR_SCREEN + lines[0];
    else lines.unshift('');
    return { lines, calls, uncounted: snapshot.uncountedCalls, final: snapshot.final };
  }
  if (options.intervalMs !== undefined) {
    const seconds = (ns: number): string => (ns / 1e9).toFixed(3);
    lines.unshift('', `--- ${seconds(snapshot.startNs)} s to ${seconds(snapshot.endNs)} s: ${calls} calls ---`);
  }
  return { lines, calls, uncounted: snapshot.uncountedCalls, final: snapshot.final };
}

/** A call blocked this long when a batch closes is shown as started. */
const ANNOUNCE_BLOCKED_AFTER_NS = 10e6;
/** Calls awaiting their exit, at most: one per thread in a call. */
const MAX_PENDING_CALLS = 65536;

function commOfThread(tid: number): string {
  try {
    return fs.readFileSync(`/proc/${tid}/comm`, 'utf8').trimEnd();
  } catch {
    return '?';
  }
}

function exitStatus(end: SessionEnd): number {
  if (end.reason !== 'command-exited') return 0;
  if (end.exitCode !== null) return end.exitCode;
  const signal = end.signal ? os.constants.signals[`SIG${end.signal}` as keyof typeof os.constants.signals] : undefined;
  return signal ? 128 + signal : 1;
}

function openSink(path: string | undefined): OutputSink {
  if (!path) return OutputSink.stdout();
  try {
    return OutputSink.file(path);
  } catch (error) {
    throw new UserError(`cannot write '${path}': ${(error as Error).message.replace(/^[A-Z]+: /, '').replace(/, (open|stat) .*$/, '')}`);
  }
}

function log(line: string): void {
  process.stderr.write(`bpftrace-ts: ${line}\n`);
}

/** Why the eBPF backend cannot run on this machine, from its load error; null if the error
 * is about something else (no such process, a command that cannot run). */
export function ebpfUnavailableReason(message: string): string | null {
  if (message.startsWith('the kernel has no BTF')) return 'the kernel has no BTF';
  if (message.startsWith('no permission to load BPF programs')) return 'no permission to load BPF programs';
  if (message.startsWith('cannot load the BPF programs') || message.startsWith('ring buffer:')) return message;
  return null;
}

type Callbacks = Parameters<NativeTraceSession['start']>;

/** Starts the backend asked for; with 'auto', ptrace where eBPF cannot load, said in one line. */
function startSession(options: TraceOptions, spec: SessionSpec, ...callbacks: Callbacks):
{ session: NativeTraceSession; started: SessionStarted } {
  const addon = loadAddon();
  const start = (Session: typeof addon.TraceSession) => {
    const session = new Session(spec);
    return { session, started: session.start(...callbacks) };
  };
  if (options.backend === 'ptrace') return start(addon.PtraceSession);
  try {
    return start(addon.TraceSession);
  } catch (error) {
    const reason = ebpfUnavailableReason((error as NativeError).message);
    if (options.backend === 'bpf' || reason === null) throw error;
    if (options.all || options.aggregate) throw new UserError(`${(error as NativeError).message} (${options.all ? '-a' : 'in-kernel counting'} needs eBPF)`);
    log(`eBPF unavailable (${reason}); using the ptrace backend`);
    return start(addon.PtraceSession);
  }
}

export function runTrace(options: TraceOptions): Promise<number> {
  const sink = openSink(options.output);
  const fds = options.decodeFds && options.format !== 'json' ? new FdTable(options.decodeFds === 'sockets') : undefined;
  const captureOptions = { stringLimit: options.stringLimit, hex: options.hex };
  let epochNsAtStart = Date.now() * 1e6; // set from the session's clock once it started
  let straceFormatter: StraceFormatter | undefined;
  let lastCallNs = 0;
  const format = ((): ((call: SyscallCall) => string | null) => {
    if (options.format === 'json') return (call) => formatJsonLine(call, captureOptions);
    if (options.format === 'perf') {
      const perf = new PerfFormatter({ ...captureOptions, fds });
      return (call) => perf.format(call);
    }
    const strace = new StraceFormatter({
      ...captureOptions, fds, absoluteTime: options.absoluteTime, relativeTime: options.relativeTime,
      callDuration: options.callDuration, alwaysShowPid: options.alwaysShowPid, get epochNsAtStart() { return epochNsAtStart; },
    });
    straceFormatter = strace;
    return (call) => strace.format(call);
  })();
  const spec: SessionSpec = {
    all: options.all,
    followChildren: options.inherit,
    syscalls: options.syscalls,
    comm: options.comm,
    ringBytes: options.bufferBytes,
    verbose: options.verbose,
    attachMode: options.attachMode,
    command: options.command && {
      ...options.command,
      env: Object.entries(process.env).map(([key, value]) => `${key}=${value ?? ''}`),
    },
    pids: options.pids,
    captures: options.aggregate ? undefined : nativeCaptureRules(options.stringLimit),
    aggregate: options.aggregate && {
      by: KERNEL_GROUPING[options.aggregate.by],
      failuresOnly: options.failureOnly,
      intervalMs: options.aggregate.intervalMs,
      cgroupId: options.aggregate.cgroupId,
    },
  };

  let printed = 0;
  let stopping = false;
  let outputClosed = false;
  let failure: Error | undefined;
  let session: NativeTraceSession | undefined;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    session?.stop();
  };

  const summary = options.summaryBy ? new SyscallSummary(options.summaryBy) : undefined;
  const shown = (call: SyscallCall): boolean => {
    if (options.summaryOnly || outputClosed || (options.maxEvents !== undefined && printed >= options.maxEvents)) return false;
    if (options.failureOnly && (call.state !== 'returned' || errnoOf(call.nr, call.ret ?? 0) === null)) return false;
    return options.minDurationNs === null || call.state === 'started' ||
      (call.state === 'returned' && call.durNs !== null && call.durNs >= options.minDurationNs);
  };
  const show = (call: SyscallCall): void => {
    // The eBPF backend checks --comm in the kernel; the ptrace one reports every thread.
    if (options.comm !== undefined && call.comm !== options.comm) return;
    summary?.add(call); // every call, whatever the display filters below
    if (!shown(call)) {
      fds?.update(call); // the formatters update it for the calls they show
      return;
    }
    lastCallNs = call.tsNs;
    const line = format(call);
    if (line === null) return;
    sink.write(line);
    if (call.state !== 'started' && options.maxEvents !== undefined && ++printed >= options.maxEvents) stop();
  };
  const formatProcessEvent = {
    json: formatProcessEventJson,
    perf: formatProcessEventPerf,
    strace: (event: ProcessEvent) => (straceFormatter as StraceFormatter).processEvent(event),
  }[options.format];
  /** Signals and process exits (ptrace backend): shown as strace shows them, whatever -e. */
  const showProcessEvent = (event: ProcessEvent): void => {
    if (!formatProcessEvent || options.summaryOnly || outputClosed || options.failureOnly || options.minDurationNs !== null) return;
    if (options.maxEvents !== undefined && printed >= options.maxEvents) return;
    if (options.comm !== undefined && event.comm !== options.comm) return;
    sink.write(formatProcessEvent(event));
  };
  const pairer = new CallPairer(show, {
    announceAfterNs: options.failureOnly ? null : Math.max(ANNOUNCE_BLOCKED_AFTER_NS, options.minDurationNs ?? 0),
    maxPending: MAX_PENDING_CALLS,
    commOf: commOfThread,
  }, showProcessEvent);

  const fail = (error: unknown): void => {
    if (error instanceof OutputClosedError) outputClosed = true;
    else failure ??= error as Error;
    stop();
  };

  let countedCalls = 0;
  let uncountedCalls = 0;
  return new Promise<number>((resolve) => {
    const onBatch = (bytes: Buffer): void => {
      try {
        if (options.aggregate) {
          const snapshot = renderAggregate(options.aggregate, bytes);
          countedCalls += snapshot.calls;
          uncountedCalls = snapshot.uncounted;
          for (const line of snapshot.lines) sink.write(line);
        } else {
          pairer.addBatch(decodeBatch(bytes));
        }
        sink.flush();
      } catch (error) {
        fail(error);
      }
    };
    const onEnd = (end: SessionEnd): void => {
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(signal, stop);
      try {
        if (!outputClosed) {
          pairer.finish();
          const exitLine = straceFormatter && end.reason === 'command-exited' && childPid !== null
            ? straceFormatter.processExit(childPid, lastCallNs, end.exitCode, end.signal) : null;
          if (exitLine !== null) sink.write(exitLine);
          // JSON Lines hold calls only: a table goes to stderr then.
          if (summary && options.format === 'json') process.stderr.write(summary.render().join('\n') + '\n');
          else if (summary) for (const line of summary.render()) sink.write(line);
        }
        sink.close();
      } catch (error) {
        fail(error);
      }
      if (failure) {
        log(`error: ${failure.message}`);
        resolve(1);
        return;
      }
      const backend = attachMode === 'ptrace' ? 'backend ptrace' : `backend bpf (${attachMode})`;
      let totals = options.aggregate
        ? `${countedCalls} calls counted in the kernel, ${uncountedCalls} not counted (stats table full or no memory), ${backend}`
        : `${pairer.eventsSeen} events, ${end.lostEvents} lost, ${backend}`;
      if (pairer.evicted > 0) totals += `, ${pairer.evicted} calls evicted from the pending table`;
      log(totals);
      if (options.verbose && !options.aggregate) {
        const copies = end.argumentCopies;
        log(`argument copies: ${copies.atEntry} at the entry, ${copies.retriedAtExit} retried at the exit after a fault, ${copies.failed} failed`);
      }
      resolve(exitStatus(end));
    };

    let attachMode = '';
    let childPid: number | null = null;
    let started: SessionStarted;
    try {
      ({ session, started } = startSession(options, spec, onBatch, onEnd));
      attachMode = started.attachMode;
      childPid = started.childPid;
      epochNsAtStart = Date.now() * 1e6 - (Number(process.hrtime.bigint()) - started.startNs);
    } catch (error) {
      sink.close();
      throw error instanceof UserError ? error : new UserError((error as NativeError).message);
    }
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop);
    if (options.verbose && started.attachMode === 'ptrace') {
      log('backend ptrace' + (started.childPid !== null ? `, command pid ${started.childPid}` : ''));
    } else if (options.verbose) {
      log(`backend bpf, attached with ${started.attachMode}, ring buffer ${options.bufferBytes / (1 << 20)} MiB` +
        (started.childPid !== null ? `, command pid ${started.childPid}` : ''));
      for (const line of started.log.split('\n').filter(Boolean)) log(`libbpf: ${line}`);
    }
  });
}
