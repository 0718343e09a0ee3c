// Finds, in the batches the session emits, the events --dump-on asks for: a process killed
// by a signal or exiting non-zero, a call failing with a listed errno, a call that took
// (or has been blocked for) too long. It reads the columns it needs, not the arguments.
import { EventKind, type Batch } from '../wire/batch-decoder';
import { exitOutcome } from '../render/format-process-event';
import { bpftrace_ts } from '../generated/batch';
import { errnoOf } from '../syscalls/raw-args';
import type { DumpTriggers } from './flight-options';

const { TriggerKind } = bpftrace_ts;
export type FlightTrigger = bpftrace_ts.IFlightTrigger;

/** Calls awaiting their exit, at most (one per thread in a call). */
const MAX_PENDING = 65536;
const NO_CALL = -1;

interface PendingCall {
  pid: number;
  nr: number;
  tsNs: number;
  comm: string;
  /** A slow trigger already fired for this call, while it was blocked. */
  fired: boolean;
}

export class TriggerScanner {
  /** Entries without their exit yet, by thread: for durations and blocked calls. */
  private readonly pending = new Map<number, PendingCall>();

  constructor(private readonly triggers: DumpTriggers) {}

  /** The triggers the batch's events fire, in event order. */
  scan(batch: Batch): FlightTrigger[] {
    const fired: FlightTrigger[] = [];
    const { triggers } = this;
    const tracksCalls = triggers.slowNs !== undefined;
    const slowNs = triggers.slowNs ?? Infinity;
    const errnos = triggers.errnos;
    let ts = batch.baseTsNs;
    let enter = 0;
    let exit = 0;
    let call = 0;
    let eventComm = 0;
    for (let i = 0; i < batch.kind.length; i++) {
      const kind = batch.kind[i];
      ts += batch.tsDeltaNs[i];
      const tid = batch.tid[i];
      if (kind === EventKind.ENTER || kind === EventKind.IN_PROGRESS) {
        if (tracksCalls) this.enter(tid, { pid: batch.pid[i], nr: batch.nr[i], tsNs: ts, comm: batch.comms[batch.commIndex[enter]] ?? '?', fired: false });
        enter++;
      } else if (kind === EventKind.CALL) {
        // Most events: only a failed or slow call is looked at further.
        const ret = batch.ret[exit++];
        const durNs = batch.durationNs[call++];
        if ((ret < 0 && errnos !== undefined) || durNs >= slowNs)
          this.returned(fired, { pid: batch.pid[i], tid, nr: batch.nr[i], tsNs: ts, comm: batch.comms[batch.commIndex[enter]] ?? '?', durNs, ret, endNs: ts + durNs });
        enter++;
      } else if (kind === EventKind.EXIT) {
        const ret = batch.ret[exit++];
        if (!tracksCalls) {
          if (ret < 0 && errnos !== undefined) this.returned(fired, { pid: batch.pid[i], tid, nr: batch.nr[i], tsNs: ts, comm: '?', durNs: null, ret, endNs: ts });
          continue;
        }
        const entry = this.pending.get(tid);
        this.pending.delete(tid);
        if (entry?.fired) continue;
        const nr = entry ? entry.nr : batch.nr[i];
        this.returned(fired, { pid: batch.pid[i], tid, nr, tsNs: entry ? entry.tsNs : ts, comm: entry?.comm ?? '?',
          durNs: entry ? ts - entry.tsNs : null, ret, endNs: ts });
      } else if (kind === EventKind.PROCESS_EXIT) {
        const status = batch.ret[exit++];
        const comm = batch.comms[batch.eventCommIndex[eventComm++]] ?? '?';
        const pid = batch.pid[i] || tid;
        if (tracksCalls) for (const [t, entry] of this.pending) if (entry.pid === pid) this.pending.delete(t);
        const { code, signal } = exitOutcome(status);
        const base = { tsNs: ts, pid, tid, comm, nr: NO_CALL, callTsNs: ts };
        if (signal !== null && triggers.fatal) fired.push({ ...base, kind: TriggerKind.TRIGGER_FATAL, signal });
        else if (code !== null && code !== 0 && triggers.exit) fired.push({ ...base, kind: TriggerKind.TRIGGER_EXIT, exitCode: code });
      } else if (kind === EventKind.CHILD_RETURN || kind === EventKind.LOST) {
        exit++;
        if (kind === EventKind.CHILD_RETURN) eventComm++;
      } else if (kind === EventKind.SIGNAL) {
        eventComm++;
      } else if (kind === EventKind.THREAD_EXIT) {
        this.pending.delete(tid);
      }
    }
    return fired;
  }

  /** slow=: the first call blocked for the threshold at nowNs (trace time) that has not
   * fired yet; it fires once, not again when it returns. */
  blocked(nowNs: number): FlightTrigger | null {
    const slowNs = this.triggers.slowNs;
    if (slowNs === undefined) return null;
    for (const [tid, entry] of this.pending) {
      if (entry.fired || nowNs - entry.tsNs < slowNs) continue;
      entry.fired = true;
      return { kind: TriggerKind.TRIGGER_SLOW, tsNs: nowNs, pid: entry.pid, tid, comm: entry.comm, nr: entry.nr,
        callTsNs: entry.tsNs, durationNs: nowNs - entry.tsNs, inProgress: true };
    }
    return null;
  }

  private enter(tid: number, entry: PendingCall): void {
    if (!this.pending.has(tid) && this.pending.size >= MAX_PENDING) {
      const oldest = this.pending.keys().next().value as number;
      this.pending.delete(oldest);
    }
    this.pending.set(tid, entry);
  }

  private returned(fired: FlightTrigger[], c: { pid: number; tid: number; nr: number; tsNs: number; comm: string; durNs: number | null; ret: number; endNs: number }): void {
    const base = { tsNs: c.endNs, pid: c.pid, tid: c.tid, comm: c.comm, nr: c.nr, callTsNs: c.tsNs };
    const errno = this.triggers.errnos ? errnoOf(c.nr, c.ret) : null;
    if (errno !== null && this.triggers.errnos?.has(errno)) fired.push({ ...base, kind: TriggerKind.TRIGGER_ERRNO, errno });
    else if (this.triggers.slowNs !== undefined && c.durNs !== null && c.durNs >= this.triggers.slowNs)
      fired.push({ ...base, kind: TriggerKind.TRIGGER_SLOW, durationNs: c.durNs });
  }
}
