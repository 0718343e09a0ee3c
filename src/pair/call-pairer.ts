// Pairs each thread's sys_enter with its sys_exit to make calls with durations, in the
// order the kernel queued the events. A call still blocked when a batch closes is
// reported as started, so a hung program shows at once what it waits in.
import { CaptureFlag, EventKind, type Batch } from '../wire/batch-decoder';
import { NR_EXECVE, NR_EXECVEAT, NR_EXIT, NR_EXIT_GROUP } from '../syscalls/syscall-table';
import { KERNEL_VALUES as K } from '../generated/flag-tables';

export type CallState =
  | 'returned'    // entry and exit seen (or only the exit: entrySeen false)
  | 'started'     // still blocked: shown now, completed later by a 'returned' with announced
  | 'no-return'   // exit and exit_group never return
  | 'unfinished'; // no exit seen: the trace ended, the thread vanished, or the exit was lost

export interface SyscallCall {
  state: CallState;
  /** 'unfinished' because the trace ended while the call was in progress (it may still
   * return), not because its exit will never come or was lost. */
  atTraceEnd?: boolean;
  /** ns since the trace started: entry time, or the attach time for a call already in
   * progress then, or the exit time when the entry was not seen. */
  tsNs: number;
  durNs: number | null;
  pid: number;
  tid: number;
  comm: string;
  nr: number;
  /** Raw register values; null when the entry was not seen. */
  args: number[] | null;
  ret: number | null;
  /** A 'started' line was already printed for this call. */
  announced: boolean;
  /** Argument data copied at the entry and the exit, in that order; null if none. */
  captures: Capture[] | null;
  /** What the tracer did to the call (-e inject): Tampering bits of proto/batch.proto, 0 none. */
  tampered: number;
  /** -y: what its descriptors refer to, noted by src/track/ before the call is selected and
   * shown; renderers only read it. */
  fdNotes?: FdNotes;
}

/** `<path>` after each argument that is a descriptor, as it was before the call, and after
 * a result that is one, as it is after; '' where nothing is known. */
export interface FdNotes {
  args: string[];
  result: string;
}

/** One argument's data, as the batch carried it (proto/batch.proto: capture columns). */
export interface Capture {
  arg: number;
  kind: number;   // CaptureKind
  flags: number;  // CaptureFlag bits
  data: Uint8Array;
}

/** What happened to a process rather than in a call: a signal, its end. */
export type ProcessEvent =
  | { type: 'signal'; tsNs: number; pid: number; tid: number; comm: string; signo: number; siginfo: Uint8Array }
  /** The process ended; status as waitpid() reports it. */
  | { type: 'exit'; tsNs: number; pid: number; tid: number; comm: string; status: number };

export interface PairerOptions {
  /** A call pending this long when a batch closes is announced as started; null never. */
  announceAfterNs: number | null;
  /** Bound on calls awaiting their exit (one per thread in a call). */
  maxPending: number;
  /** Name of a thread whose exit arrived without its entry. */
  commOf(tid: number): string;
  /** count events were lost (the ring buffer was full) at about this place in the trace. */
  onLost?(tsNs: number, count: number): void;
  /** A call entered and awaits its exit, in trace order with what is emitted: the object
   * emitted when it returns (or a copy of it, unfinished). Calls whose entry and exit came
   * together (nothing between them) are only emitted. */
  onEnter?(call: SyscallCall): void;
  /** A thread that was not its process's last ended. */
  onThreadExit?(tid: number): void;
  /** A batch's events were all emitted; nowNs: the time of its last event, or null if it
   * had none (a quiet tick: the kernel's queue was empty). */
  onBatchEnd?(nowNs: number | null): void;
}

/** The exit of rt_sigreturn reports syscall -1: the kernel restored orig_ax from the
 * signal frame. Such an exit belongs to whatever call the thread is in. */
const NR_RESTORED = 0xffffffff;
/** How far ahead in a batch to look for the name of a thread whose exit came alone. */
const COMM_LOOKAHEAD = 64;
/** Signals 1-31 are standard: one pending at a time, a second is merged into the first. */
const SIGRTMIN = K.KERNEL_SIGRTMIN;
/** Ignored signals held for one thread until its call returns (distinct ones: 31 standard,
 * then real-time ones, each queued). */
const MAX_HELD_SIGNALS = 64;

function captureAt(batch: Batch, j: number): Capture {
  return { arg: batch.captureArg[j], kind: batch.captureKind[j], flags: batch.captureFlags[j], data: batch.captureData[j] };
}

function fillCapture(capture: Capture, batch: Batch, j: number): void {
  capture.arg = batch.captureArg[j];
  capture.kind = batch.captureKind[j];
  capture.flags = batch.captureFlags[j];
  capture.data = batch.captureData[j];
}

const EMPTY_DATA = new Uint8Array(0);

/** Events with a comm and arguments in the per-enter columns. */
function hasEnterColumns(kind: number): boolean {
  return kind === EventKind.ENTER || kind === EventKind.CALL || kind === EventKind.IN_PROGRESS;
}

export class CallPairer {
  private readonly pending = new Map<number, SyscallCall>();
  /** Signals the kernel discarded as ignored while their thread was in a call (eBPF): strace
   * sees them when the thread returns to user mode, after that call. Keys are in pending. */
  private readonly heldSignals = new Map<number, ProcessEvent[]>();
  /** Reused for every CALL record, with its captures: emit() must not keep either. */
  private readonly scratch: SyscallCall = {
    state: 'returned', tsNs: 0, durNs: 0, pid: 0, tid: 0, comm: '', nr: 0, args: [0, 0, 0, 0, 0, 0], ret: 0, announced: false,
    captures: null, tampered: 0,
  };
  /** The scratch record's captures: the array of n items at index n, made once and refilled.
   * Its length is bounded by the capture rules (the items one call can have). */
  private readonly scratchCaptures: Capture[][] = [];
  /** Pending calls evicted because the table was full. */
  evicted = 0;
  /** sys_enter and sys_exit events received from the kernel. */
  eventsSeen = 0;
  /** The time of the event being paired (what is emitted now happens then); Infinity once
   * the trace is over. */
  nowNs = 0;

  /** emit receives each call synchronously and must copy what it keeps: the object and its
   * captures may be reused. emitProcessEvent, if given, receives signals and process exits in trace order. */
  constructor(private readonly emit: (call: SyscallCall) => void, private readonly options: PairerOptions,
    private readonly emitProcessEvent?: (event: ProcessEvent) => void) {}

  addBatch(batch: Batch): void {
    const { kind, tsDeltaNs, tid, pid, nr, commIndex, comms, ret, durationNs } = batch;
    const { arg0, arg1, arg2, arg3, arg4, arg5 } = batch;
    let ts = batch.baseTsNs;
    let lastEventTs: number | null = null; // of the tasks' events (a LOST marker's is when it was noticed)
    let enter = 0; // index into the per-enter columns
    let exit = 0;  // per-exit
    let call = 0;  // per-call
    let named = 0; // per event that carries its task's name (eventCommIndex)
    const { captureEvent, tamperedEvent } = batch;
    let capture = 0; // next capture item; items come in event order
    let tampering = 0; // next tampered event, likewise
    for (let i = 0; i < kind.length; i++) {
      ts += tsDeltaNs[i];
      this.nowNs = ts;
      const k = kind[i];
      if (k !== EventKind.LOST) lastEventTs = ts;
      let captures: Capture[] | null = null;
      if (capture < captureEvent.length && captureEvent[capture] === i) {
        const first = capture;
        while (capture < captureEvent.length && captureEvent[capture] === i) capture++;
        // A CALL's record is reused, and so are its captures; other events' calls are kept.
        captures = k === EventKind.CALL ? this.scratchCapturesOf(batch, first, capture) : [];
        if (k !== EventKind.CALL) for (let j = first; j < capture; j++) captures.push(captureAt(batch, j));
      }
      let tampered = 0;
      if (tampering < tamperedEvent.length && tamperedEvent[tampering] === i) tampered = batch.tamperedHow[tampering++];
      if (k === EventKind.EXIT) {
        this.eventsSeen++;
        this.onExit(ts, tid[i], pid[i], nr[i], ret[exit++], captures, tampered, () => this.commAhead(batch, i, enter));
        continue;
      }
      if (k === EventKind.CHILD_RETURN) {
        this.eventsSeen++;
        const comm = comms[batch.eventCommIndex[named++]] ?? '?';
        this.onExit(ts, tid[i], pid[i], nr[i], ret[exit++], captures, tampered, () => comm);
        continue;
      }
      if (k === EventKind.LOST) {
        this.options.onLost?.(ts, ret[exit++]);
        continue;
      }
      if (k === EventKind.THREAD_EXIT) {
        this.abandon(tid[i]);
        this.options.onThreadExit?.(tid[i]);
        continue;
      }
      if (k === EventKind.SIGNAL || k === EventKind.PROCESS_EXIT) {
        // Neither has per-enter columns; a process exit has its status in ret.
        const status = k === EventKind.PROCESS_EXIT ? ret[exit++] : 0;
        if (k === EventKind.PROCESS_EXIT) this.endProcess(pid[i]);
        const comm = comms[batch.eventCommIndex[named++]] ?? '?';
        if (!this.emitProcessEvent) continue;
        const event = this.processEvent(batch, i, comm, ts, status, captures);
        if (k === EventKind.SIGNAL && this.holdIgnored(event, captures)) continue;
        this.emitProcessEvent(event);
        continue;
      }
      const comm = comms[commIndex[enter]] ?? '?';
      if (k === EventKind.CALL) {
        // Entry and exit, already paired by the addon: the common case, kept allocation-free.
        this.eventsSeen += 2;
        if (this.pending.size > 0) this.abandon(tid[i]);
        const record = this.scratch;
        const args = record.args as number[];
        // One load site per column: the columns hold small integers or doubles, and a loop
        // over them would make its one site polymorphic.
        args[0] = arg0[enter];
        args[1] = arg1[enter];
        args[2] = arg2[enter];
        args[3] = arg3[enter];
        args[4] = arg4[enter];
        args[5] = arg5[enter];
        record.tsNs = ts;
        record.durNs = durationNs[call++];
        record.pid = pid[i];
        record.tid = tid[i];
        record.comm = comm;
        record.nr = nr[i];
        record.ret = ret[exit++];
        record.captures = captures;
        record.tampered = tampered;
        enter++;
        this.emit(record);
        continue;
      }
      if (k === EventKind.ENTER) this.eventsSeen++;
      const args = [arg0[enter], arg1[enter], arg2[enter], arg3[enter], arg4[enter], arg5[enter]];
      enter++;
      this.onEnter(ts, tid[i], pid[i], nr[i], comm, args, captures, k === EventKind.IN_PROGRESS);
    }
    // Blocked for how long: up to the batch's last event when it has any, not its close:
    // behind a busy ring the batch closes long after its events, and a call whose exit is
    // still in the ring would look blocked.
    this.announceBlocked(lastEventTs ?? batch.flushTsNs);
    this.options.onBatchEnd?.(lastEventTs);
  }

  /** Items [from, end) of the batch's capture columns, in the reused array of their count. */
  private scratchCapturesOf(batch: Batch, from: number, end: number): Capture[] {
    const count = end - from;
    let captures = this.scratchCaptures[count];
    if (!captures) {
      captures = [];
      for (let j = 0; j < count; j++) captures.push({ arg: 0, kind: 0, flags: 0, data: EMPTY_DATA });
      this.scratchCaptures[count] = captures;
    }
    for (let j = 0; j < count; j++) fillCapture(captures[j], batch, from + j);
    return captures;
  }

  /** The trace is over: every call still pending is unfinished, oldest first. ended(pid):
   * the process is known to have ended (its own end may have been lost), so its calls
   * never return; the others' may still. */
  finish(ended: (pid: number) => boolean = () => false): void {
    this.nowNs = Infinity;
    const rest = [...this.pending.values()].sort((a, b) => a.tsNs - b.tsNs);
    this.pending.clear();
    for (const call of rest) {
      this.emit({ ...call, state: 'unfinished', atTraceEnd: !ended(call.pid) });
      this.releaseSignals(call.tid);
    }
  }

  /** A process ended: its threads' pending calls never return (one killed it, or exit). */
  private endProcess(pid: number): void {
    for (const [tid, call] of this.pending) {
      if (call.pid !== pid) continue;
      this.pending.delete(tid);
      this.emit({ ...call, state: 'unfinished' });
      this.releaseSignals(tid);
    }
  }

  /** The thread's pending call, if any, will never return: the thread ended (its process
   * lives on), or it enters a new call (a thread enters a call only after leaving the last
   * one, so that one's exit was lost, or an execve in another thread replaced the thread). */
  private abandon(tid: number): void {
    const previous = this.pending.get(tid);
    if (!previous) return;
    this.pending.delete(tid);
    this.emit({ ...previous, state: 'unfinished' });
    this.releaseSignals(tid);
  }

  /** A signal the kernel discarded as ignored (eBPF) while its thread was in a call is held
   * until the call returns, where strace shows it; a standard signal already held is merged
   * into it, as the kernel merges a second one pending under ptrace. */
  private holdIgnored(event: ProcessEvent, captures: Capture[] | null): boolean {
    if (event.type !== 'signal' || !captures?.[0] || !(captures[0].flags & CaptureFlag.CAPTURE_SIGNAL_IGNORED)) return false;
    if (!this.pending.has(event.tid)) return false;
    let held = this.heldSignals.get(event.tid);
    if (!held) this.heldSignals.set(event.tid, held = []);
    const merged = event.signo < SIGRTMIN && held.some((h) => h.type === 'signal' && h.signo === event.signo);
    if (!merged && held.length < MAX_HELD_SIGNALS) held.push(event);
    return true;
  }

  /** The thread's call ended: the signals held for it follow it, at that time (strace sees
   * them then). */
  private releaseSignals(tid: number): void {
    const held = this.heldSignals.get(tid);
    if (!held) return;
    this.heldSignals.delete(tid);
    for (const event of held) {
      if (Number.isFinite(this.nowNs)) event.tsNs = Math.max(event.tsNs, this.nowNs);
      this.emitProcessEvent?.(event);
    }
  }

  private onEnter(tsNs: number, tid: number, pid: number, nr: number, comm: string, args: number[],
    captures: Capture[] | null, inProgress: boolean): void {
    this.abandon(tid);
    const call: SyscallCall = { state: 'started', tsNs, durNs: null, pid, tid, comm, nr, args, ret: null, announced: false, captures, tampered: 0 };
    if (nr === NR_EXIT || nr === NR_EXIT_GROUP) {
      call.state = 'no-return';
      this.emit(call);
      return;
    }
    if (this.pending.size >= this.options.maxPending) this.evictOldest();
    this.pending.set(tid, call);
    this.options.onEnter?.(call);
    if (inProgress && this.options.announceAfterNs !== null) this.announce(call);
  }

  private processEvent(batch: Batch, index: number, comm: string, tsNs: number, status: number,
    captures: Capture[] | null): ProcessEvent {
    const common = { tsNs, pid: batch.pid[index], tid: batch.tid[index], comm };
    if (batch.kind[index] === EventKind.PROCESS_EXIT) return { type: 'exit', ...common, status };
    return { type: 'signal', ...common, signo: batch.nr[index], siginfo: captures?.[0]?.data ?? new Uint8Array() };
  }

  /** The thread's name from its next entry in this batch: an exit seen without its entry
   * is often an execve's, and the new name is the one to show. */
  private commAhead(batch: Batch, exitIndex: number, nextEnter: number): string {
    const { kind, tid, commIndex, comms } = batch;
    const end = Math.min(kind.length, exitIndex + COMM_LOOKAHEAD);
    for (let i = exitIndex + 1; i < end; i++) {
      if (!hasEnterColumns(kind[i])) continue;
      if (tid[i] === tid[exitIndex]) return comms[commIndex[nextEnter]] ?? '?';
      nextEnter++;
    }
    return this.options.commOf(tid[exitIndex]);
  }

  private onExit(tsNs: number, tid: number, pid: number, nr: number, ret: number, captures: Capture[] | null,
    tampered: number, commOf: () => string): void {
    const call = this.pending.get(tid);
    let entered: SyscallCall | undefined;
    if (call && (call.nr === nr || nr === NR_RESTORED) && call.tsNs <= tsNs) {
      this.pending.delete(tid);
      entered = call;
    } else if (tid === pid && (nr === NR_EXECVE || nr === NR_EXECVEAT)) {
      entered = this.takeExecOfOtherThread(pid, nr);
    }
    if (entered) {
      entered.state = 'returned';
      entered.durNs = tsNs - entered.tsNs;
      entered.ret = ret;
      entered.tampered = tampered;
      if (captures) entered.captures = entered.captures ? entered.captures.concat(captures) : captures;
      this.emit(entered);
      this.releaseSignals(entered.tid);
      return;
    }
    this.emit({ state: 'returned', tsNs, durNs: null, pid, tid, comm: call?.comm ?? commOf(), nr, args: null, ret, announced: false, captures, tampered });
  }

  /** An execve made by a thread other than the leader returns as the leader (the kernel
   * gives that thread the process id): its entry is pending under the thread's own id. */
  private takeExecOfOtherThread(pid: number, nr: number): SyscallCall | undefined {
    for (const [tid, call] of this.pending) {
      if (call.pid === pid && call.nr === nr && tid !== pid) {
        this.pending.delete(tid);
        return call;
      }
    }
    return undefined;
  }

  private announceBlocked(nowNs: number): void {
    const after = this.options.announceAfterNs;
    if (after === null) return;
    for (const call of this.pending.values()) if (!call.announced && nowNs - call.tsNs >= after) this.announce(call);
  }

  private announce(call: SyscallCall): void {
    call.announced = true;
    this.emit({ ...call, state: 'started' });
  }

  private evictOldest(): void {
    const oldest = this.pending.keys().next();
    if (oldest.done) return;
    const call = this.pending.get(oldest.value);
    this.pending.delete(oldest.value);
    this.evicted++;
    if (call) this.emit({ ...call, state: 'unfinished' });
    this.releaseSignals(oldest.value);
  }
}
