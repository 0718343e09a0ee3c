// What a trace shows, from the messages its session emits: batches of events paired into
// calls, filtered and formatted, or aggregates rendered as tables and histograms. A live
// session and `report` (a recording read back) feed the same TraceOutput, so a recording
// renders exactly as the live trace would have.
import fs from 'node:fs';
import { decodeAggregate, decodeBatch, type Aggregate } from '../wire/batch-decoder';
import { CallHistograms } from '../aggregate/call-histograms';
import { CallPairer, type ProcessEvent, type SyscallCall } from '../pair/call-pairer';
import { CallSelection } from '../select/call-selection';
import { formatHistograms, type HistBy } from '../aggregate/format-hist';
import type { RenderOptions } from '../render/render-options';
import type { StatusFilter } from '../select/call-filters';
import { renderAggregate, type AggregateOptions } from '../aggregate/aggregate-view';
import type { CallExport } from '../export/call-export';
import { FdTable } from '../track/fd-table';
import { CallTracker } from '../track/call-tracker';
import { JsonFormatter } from '../render/format-json';
import { bpftrace_ts } from '../generated/batch';
import { stackLines, withStackField } from '../render/format-stack';
import { ProcessMaps } from '../track/process-maps';
import { STACK_DEFAULT_FRAMES, StackSymbols, type Stack } from '../stack/stack-symbols';
import { PerfFormatter } from '../render/format-perf';
import { colorCallLine, colorEventLine } from '../render/line-colors';
import { StraceFormatter } from '../render/format-strace';
import { StraceLines, TimeOrder } from '../render/strace-lines';
import type { TriggerMark } from '../flight/trigger-mark';
import type { LineSink } from '../sink/output-sink';
import { SyscallSummary, type SummaryBy } from '../aggregate/syscall-summary';

/** How calls are shown: the options a live trace and `report` share. */
export interface DisplayOptions extends RenderOptions {
  /** -P: only calls that touch these paths (as given, absolute, resolved). */
  paths?: string[];
  /** -z, -Z (--failure), --errno. */
  status?: StatusFilter;
  /** -ff: one output file per task, the -o name with .TID after it. */
  filePerTask: boolean;
  /** -q: no attach and detach notices; -qq: no exit notices either. */
  quiet: number;
}

export interface OutputOptions extends DisplayOptions {
  minDurationNs: number | null;
  maxEvents?: number;
  /** -S: after the trace, a table per process (or thread, or one) of every syscall's latency. */
  summaryBy?: SummaryBy;
  /** The messages are aggregates (--summary-only, --hist): how to render them. */
  aggregate?: AggregateOptions;
  /** --summary-only on the ptrace backend: the -S tables from the streamed calls, no call lines. */
  summaryOnly?: boolean;
  /** --comm: the eBPF backend checks it in the kernel; the ptrace one reports every thread. */
  comm?: string;
  /** Only calls of these syscalls and processes (report's -e and --pid; live, the kernel filters). */
  onlySyscalls?: ReadonlySet<number>;
  onlyPids?: ReadonlySet<number>;
  /** report --hist of streamed calls: histograms counted from the calls, instead of the calls. */
  hist?: { by: HistBy; top: number };
  exports?: CallExport[];
  /** Every aggregate, decoded, also goes here (the Prometheus exporter). */
  onAggregate?: (snapshot: Aggregate) => void;
  /** Name of a thread whose exit came without its entry. */
  commOf(tid: number): string;
  /** CLOCK_REALTIME ns of time 0 in the trace (strace -t); read when a line is formatted. */
  epochNsAtStart(): number;
  /** -k: the frames each stack was captured with (STACK_DEFAULT_FRAMES if not known). */
  stackFrames?: number;
  /** The command the trace launched, if any (-k finds its frames by build ID). */
  command?: { path: string };
  /** Descriptors opened before the trace can be read from /proc (a live trace). */
  live: boolean;
  /** -p: the processes attached to, whose descriptors -y reads at once. */
  attachedPids?: readonly number[];
  /** report of a flight-recorder dump: marks the line of what fired it. */
  triggerMark?: TriggerMark;
  /** Whether the backend was ptrace, whose signals and process ends show in every format;
   * the eBPF backend's process ends show in --format strace only, as strace shows them. */
  fromPtrace(): boolean;
}

/** How the trace ended, for strace's closing "+++ exited with N +++" line. */
export interface TraceEnd {
  commandPid: number | null;
  reason: string;
  exitCode: number | null;
  signal: string | null;
}

/** A call blocked this long when a batch closes is shown as started. */
const ANNOUNCE_BLOCKED_AFTER_NS = 10e6;
/** How far the eBPF backend's events may come out of time order (stamped, then queued after
 * their arguments are copied, on several CPUs): strace lines wait this long to be sorted. */
const REORDER_WINDOW_NS = 1e6;
/** Calls awaiting their exit, at most: one per thread in a call. */
const MAX_PENDING_CALLS = 65536;
const { CAPTURE_STACK, CAPTURE_STACK_BUILD_ID } = bpftrace_ts.CaptureKind;
const STACK_KINDS = [CAPTURE_STACK, CAPTURE_STACK_BUILD_ID];

/** A call the pairer may reuse, copied to be kept. */
function copyOfCall(call: SyscallCall): SyscallCall {
  const { captures } = call;
  return {
    state: call.state, atTraceEnd: call.atTraceEnd, tsNs: call.tsNs, durNs: call.durNs, pid: call.pid, tid: call.tid, comm: call.comm, nr: call.nr,
    args: call.args && call.args.slice(), ret: call.ret, announced: call.announced, tampered: call.tampered, fdNotes: call.fdNotes,
    captures: captures && captures.map((capture) => ({ arg: capture.arg, kind: capture.kind, flags: capture.flags, data: capture.data })),
  };
}

/** The threads of a process now; none if it is gone. */
function threadsOf(pid: number): number[] {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).map(Number).filter((tid) => tid > 0);
  } catch {
    return [];
  }
}

export class TraceOutput {
  /** The reader of the output went away: nothing more is written. */
  closed = false;
  /** Aggregates: calls counted in the kernel, and (cumulative) those it could not count. */
  countedCalls = 0;
  uncountedCalls = 0;
  private printed = 0;
  private lastCallNs = 0;
  /** -y: what each descriptor is, learned from every call before it is selected. */
  private readonly tracker?: CallTracker;
  private readonly selection: CallSelection;
  private readonly straceFormatter?: StraceFormatter;
  private readonly format: (call: SyscallCall) => string | null;
  private readonly summary?: SyscallSummary;
  private readonly histograms?: CallHistograms;
  private readonly pairer: CallPairer;
  /** -k: the processes' mappings, and the objects' symbols. */
  private readonly maps?: ProcessMaps;
  private readonly stackSymbols?: StackSymbols;
  /** Notes about stacks already given (by object, or by the cause of unresolved frames). */
  private readonly notedCutIn = new Set<string>();
  /** strace's order of lines where several tasks' lines meet (a call's line begins at its
   * entry); undefined for -ff, the other formats, and filters that need a call's end. */
  private readonly lines?: StraceLines;
  /** With lines: what the pairer emits, put back in time order before it is shown. */
  private readonly order?: TimeOrder<SyscallCall | (() => void)>;
  /** With lines: the calls entered and awaiting their end (the pairer keeps these objects). */
  private readonly entered = new WeakSet<SyscallCall>();

  /** onLimit: --max-events calls were shown. */
  constructor(private readonly sink: LineSink, private readonly options: OutputOptions, private readonly onLimit: () => void) {
    if (options.decodeFds && options.format !== 'json') {
      const fds = new FdTable(options.decodeFds === 'sockets', options.live);
      if (options.live) for (const pid of options.attachedPids ?? []) fds.snapshot(pid);
      this.tracker = new CallTracker(fds);
    }
    this.selection = new CallSelection(options);
    const captureOptions = { stringLimit: options.stringLimit, hex: options.hex };
    const times = {
      absoluteTime: options.absoluteTime, relativeTime: options.relativeTime, epochNsAtStart: () => options.epochNsAtStart(),
    };
    let formatProcessEvent: (event: ProcessEvent) => string;
    let formatLost: (tsNs: number, count: number) => string;
    if (options.format === 'json') {
      const json = new JsonFormatter({ ...captureOptions, ...times });
      this.format = (call) => json.format(call);
      formatProcessEvent = (event) => json.processEvent(event);
      formatLost = (tsNs, count) => json.lost(tsNs, count);
    } else if (options.format === 'perf') {
      const perf = new PerfFormatter({ ...captureOptions, ...times });
      this.format = (call) => perf.format(call);
      formatProcessEvent = (event) => perf.processEvent(event);
      formatLost = (_tsNs, count) => perf.lost(count);
    } else {
      const strace = new StraceFormatter({
        ...captureOptions, ...times, callDuration: options.callDuration,
        // -ff: each file holds one task's lines, never prefixed with its pid.
        pidPrefix: options.filePerTask ? 'never' : options.alwaysShowPid ? 'always' : 'several-tasks',
        pidColumn: options.pidColumn,
      });
      this.straceFormatter = strace;
      this.format = (call) => strace.format(call);
      // Calls shown by their end (-z, -Z, --errno, a minimum duration, -P) are shown whole.
      if (!options.filePerTask && !this.selection.needsEnd && !options.summaryOnly && !options.hist)
        this.lines = new StraceLines(strace, {
          line: (text, call, tid) => this.writeCallLine(text, call, tid),
          begin: (text) => this.sink.begin?.(text) ?? false,
        }, ANNOUNCE_BLOCKED_AFTER_NS);
      if (this.lines) this.order = new TimeOrder(REORDER_WINDOW_NS, (item) => (typeof item === 'function' ? item() : this.showLine(item)));
      // -p: every thread of the processes attached to is traced, alive from the start.
      if (options.live) for (const pid of options.attachedPids ?? []) for (const tid of threadsOf(pid)) strace.noteTask(tid, pid);
      formatProcessEvent = (event) => strace.processEvent(event);
      formatLost = (_tsNs, count) => strace.lost(count);
    }
    if (options.stack) {
      this.maps = new ProcessMaps();
      this.stackSymbols = new StackSymbols(options.stackFrames || STACK_DEFAULT_FRAMES);
      if (options.command) this.stackSymbols.learnProgram(options.command.path);
    }
    this.summary = options.summaryBy ? new SyscallSummary(options.summaryBy) : undefined;
    this.histograms = options.hist ? new CallHistograms(options.hist.by) : undefined;
    const lines = this.lines;
    this.pairer = new CallPairer((call) => this.show(call), {
      // -ff in strace format: a file holds one task's lines, nothing comes between a call's
      // start and its end there, and strace never splits a call in it. Where several tasks'
      // lines meet, strace's discipline splits a call when another task's line comes first.
      announceAfterNs: options.status || lines || (options.filePerTask && options.format === 'strace') ? null
        : Math.max(ANNOUNCE_BLOCKED_AFTER_NS, options.minDurationNs ?? 0),
      maxPending: MAX_PENDING_CALLS,
      commOf: options.commOf,
      onLost: (tsNs, count) => this.inOrder(() => {
        if (this.histograms || options.summaryOnly || this.closed) return;
        const line = formatLost(tsNs, count);
        this.writeLine(options.color ? colorEventLine(line, 'lost') : line);
      }),
      onEnter: lines && ((call) => {
        if (!this.shownAtEntry(call)) return;
        this.tracker?.track(call, true);
        this.entered.add(call);
        this.inOrder(() => lines.entered(call));
      }),
      onThreadExit: this.straceFormatter && ((tid) => this.inOrder(() => this.straceFormatter?.forgetTask(tid))),
      onBatchEnd: lines && ((nowNs) => {
        const until = this.order?.release(nowNs) ?? Infinity;
        if (!this.closed) lines.blocked(until);
      }),
    }, (event) => this.inOrder(() => this.showProcessEvent(event, formatProcessEvent)));
  }

  /** sys_enter and sys_exit events received. */
  get eventsSeen(): number {
    return this.pairer.eventsSeen;
  }

  /** Calls evicted from the table of calls awaiting their exit. */
  get evicted(): number {
    return this.pairer.evicted;
  }

  /** One message of the session: a Batch, or an Aggregate if options.aggregate. */
  add(message: Uint8Array): void {
    if (!this.options.aggregate) {
      const batch = decodeBatch(message);
      this.maps?.addBatch(batch, STACK_KINDS);
      this.pairer.addBatch(batch);
      return;
    }
    const snapshot = decodeAggregate(message);
    const rendered = renderAggregate(this.options.aggregate, snapshot);
    this.countedCalls += rendered.calls;
    this.uncountedCalls = snapshot.uncountedCalls;
    this.options.onAggregate?.(snapshot);
    if (!this.options.aggregate.silent) for (const line of rendered.lines) this.sink.write(line);
  }

  /** The trace is over: calls still pending, then the tables. */
  finish(end: TraceEnd | null): void {
    const exports = this.options.exports ?? [];
    try {
      for (const exported of exports) exported.finish();
    } catch (error) {
      this.discardExports();
      throw error;
    }
    if (this.closed) return;
    // The targets' ends may have been lost: the trace's end says who is gone.
    this.pairer.finish((pid) => end?.reason === 'targets-exited' || (end?.reason === 'command-exited' && pid === end.commandPid));
    this.order?.release(null);
    const exitLine = this.straceFormatter && end && end.reason === 'command-exited' && end.commandPid !== null && this.options.quiet < 2
      ? this.straceFormatter.processExit(end.commandPid, this.lastCallNs, end.exitCode, end.signal) : null;
    if (exitLine !== null) this.writeLine(exitLine, end?.commandPid ?? undefined);
    const mark = this.options.triggerMark?.unwritten();
    if (mark) this.writeLine(mark);
    if (this.histograms) for (const line of formatHistograms(this.histograms.rows(), this.options.hist!.by, this.options.hist!.top)) this.writeLine(line);
    // JSON Lines hold calls only: a table goes to stderr then.
    if (this.summary && this.options.format === 'json') process.stderr.write(this.summary.render().join('\n') + '\n');
    else if (this.summary) for (const line of this.summary.render()) this.writeLine(line);
  }

  /** The trace failed: no export is left looking complete. */
  discardExports(): void {
    for (const exported of this.options.exports ?? []) exported.discard();
  }

  /** Signals and process exits: shown as strace shows them, whatever -e; the end of a
   * process that fired a dump is marked even where its line is not shown. */
  private showProcessEvent(event: ProcessEvent, format: (event: ProcessEvent) => string): void {
    this.showProcessEventLine(event, format);
    const mark = this.closed ? null : this.options.triggerMark?.afterProcessEvent(event);
    if (mark) this.writeLine(mark, event.tid);
  }

  private showProcessEventLine(event: ProcessEvent, format: (event: ProcessEvent) => string): void {
    const { options } = this;
    if (options.format !== 'strace' && !options.fromPtrace()) return;
    if (this.histograms || options.summaryOnly || this.closed || this.limitReached() || !this.selection.showsEvent(event)) return;
    if (event.type === 'exit' && options.quiet >= 2) return;
    this.lines?.other(); // before the event's line is formatted: the begun line's time comes first (-r)
    const line = format(event);
    this.writeLine(options.color && event.type === 'signal' ? colorEventLine(line, 'signal') : line, event.tid);
  }

  /** A line that shows no call: a begun call's line is ended first. */
  private writeLine(line: string, tid?: number): void {
    this.lines?.other();
    this.sink.write(line, tid);
  }

  /** A call's line (or the end of one begun), coloured, with its stack (-k). */
  private writeCallLine(text: string, call: SyscallCall | null, tid: number | undefined): void {
    if (!call) return this.sink.write(text, tid);
    this.sink.write(this.stackOf(call, this.options.color ? colorCallLine(text, call) : text), tid);
  }

  /** Whether a call that just entered will be shown, as far as its entry tells (the strace
   * discipline runs only without the filters that need its end). */
  private shownAtEntry(call: SyscallCall): boolean {
    return !this.closed && !this.histograms && !this.limitReached() && this.selection.mayShowAtEntry(call);
  }

  /** --max-events calls were shown. */
  private limitReached(): boolean {
    return this.options.maxEvents !== undefined && this.printed >= this.options.maxEvents;
  }

  /** -k: the call's line with its stack, shown with the first line of the call (a call
   * announced as started has it there, not again when it returns). */
  private stackOf(call: SyscallCall, line: string): string {
    if (!this.stackSymbols || (call.state === 'returned' && call.announced)) return line;
    const item = call.captures?.find((c) => STACK_KINDS.includes(c.kind));
    if (!item) return line;
    const snapshot = this.maps?.snapshotOf(item.data);
    const stack = item.kind === CAPTURE_STACK_BUILD_ID ? this.stackSymbols.symbolizeWithBuildIds(item.data, snapshot)
      : this.stackSymbols.symbolize(item.data, snapshot);
    this.noteStackTrouble(call, stack, snapshot !== undefined, item.kind === CAPTURE_STACK_BUILD_ID);
    if (this.options.format === 'json') return withStackField(line, stack);
    return [line, ...stackLines(stack, this.options.format)].join('\n');
  }

  /** Says once on stderr why frames are missing or unresolved, naming the real cause. */
  private noteStackTrouble(call: SyscallCall, stack: Stack, mapsKnown: boolean, withBuildIds: boolean): void {
    const note = (key: string, text: string): void => {
      if (this.notedCutIn.has(key)) return;
      this.notedCutIn.add(key);
      process.stderr.write(`bpftrace-ts: -k: ${text}\n`);
    };
    const unknown = stack.frames.filter((frame) => frame.object === null);
    const missingId = unknown.find((frame) => frame.buildId !== undefined)?.buildId;
    if (missingId !== undefined) {
      note(`build-id:${missingId}`, `no file on this host has build ID ${missingId}, the object of some frames of ${call.comm} ` +
        `(${call.pid}): it was deleted or replaced since it was loaded, or lies outside the directories searched ` +
        '(the dynamic linker\'s, PATH, the traced programs\'): they show as ?? [address]');
      return;
    }
    // Frames outside every mapping known for the process, and (eBPF) without a build ID: its
    // mappings were not read in time, not a frame-pointer problem (the walk itself went on).
    if (unknown.length > 0) {
      note(`unmapped:${call.comm}`, withBuildIds
        ? `some frames of ${call.comm} (${call.pid}) are in no file the kernel could name: code outside any file (a JIT's) ` +
          'that was gone when the tracer read the process\'s maps, or not code at all (a frame-pointer walk gone astray ' +
          'in code built without frame pointers): they show as ?? [address]'
        : `some frames of ${call.comm} (${call.pid}) are outside every mapping of /proc/${call.pid}/maps` +
          `${mapsKnown ? '' : ' (which could not be read)'}: not code (a frame-pointer walk gone astray in code built ` +
          'without frame pointers): they show as ?? [address]');
      return;
    }
    const last = stack.frames[stack.frames.length - 1];
    if (stack.cut && last) note(last.object ?? '?', `stacks stop early in ${last.object}: a function there keeps no frame pointer ` +
      '(built without -fno-omit-frame-pointer?); frames past it are not shown');
  }

  /** Every call the pairer emits: selected (src/select/), tracked whatever the selection (the
   * descriptor table selects nothing: -P keeps its own), then counted, exported, shown. */
  private show(call: SyscallCall): void {
    const { options } = this;
    const selected = this.selection.select(call);
    this.tracker?.track(call, selected === 'shown');
    if (selected === 'out') return;
    this.summary?.add(call); // every call selected, whatever the display filters below
    if (options.exports) for (const exported of options.exports) exported.add(call);
    if (selected !== 'shown' || options.summaryOnly || this.closed || this.limitReached()) {
      const lines = this.lines;
      if (lines && this.entered.has(call)) this.inOrder(() => lines.drop(call));
      return;
    }
    if (this.histograms) {
      this.histograms.add(call);
      return;
    }
    if (!this.order) return this.showLine(call);
    // The pairer reuses the record of a call whose entry and exit came together.
    this.order.add(this.pairer.nowNs, this.entered.has(call) ? call : copyOfCall(call));
  }

  /** What the pairer emits now is shown in time order (strace format, several tasks' lines in
   * one output), or at once. */
  private inOrder(show: () => void): void {
    if (this.order) this.order.add(this.pairer.nowNs, show);
    else show();
  }

  private showLine(call: SyscallCall): void {
    const { options } = this;
    if (this.closed || this.limitReached()) return;
    this.lastCallNs = call.tsNs;
    const before = options.triggerMark?.beforeCall(call);
    if (before) this.writeLine(before, call.tid);
    if (this.lines && this.straceFormatter?.silent(call)) return this.lines.call(call);
    if (this.lines) {
      this.lines.call(call);
    } else {
      const formatted = this.format(call);
      if (formatted === null) return;
      this.writeCallLine(formatted, call, call.tid);
    }
    const mark = options.triggerMark?.afterCall(call);
    if (mark) this.writeLine(mark, call.tid);
    if (call.state !== 'started' && options.maxEvents !== undefined && ++this.printed >= options.maxEvents) this.onLimit();
  }
}
