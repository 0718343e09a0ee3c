// strace's line discipline where the lines of several tasks meet (a terminal, or one -o file
// without -ff). strace writes a call's line when the call starts (`read(0, `) and ends it when
// the call returns; if another task's line comes first, the begun line is closed with
// ` <unfinished ...>` and the call later ends as `<... read resumed>"x", 4096) = 1`. So the
// lines are in the order things happened, and a call is split exactly when another task's
// line falls between its entry and its exit; a task traced alone never has a call split.
//
// The pairer hands over calls in trace order: each entry as it happens (entered), each call
// when it ends, whole calls (entry and exit together) where they happened. One line at most
// is begun and not ended: held here, never written until its end or another line comes, or
// written in part when its call blocks (showAfterNs), as strace's terminal shows it.
import type { SyscallCall } from '../pair/call-pairer';
import type { StraceFormatter } from './format-strace';

export interface LineWriter {
  /** A line, or the end of one begun with begin(); call: the call it shows, if it does. */
  line(text: string, call: SyscallCall | null, tid: number | undefined): void;
  /** The start of a line, left open; false if the output cannot (nothing was written). */
  begin(text: string): boolean;
}

interface OpenLine {
  call: SyscallCall;
  /** Whether the line carries the [pid N] prefix: several tasks were alive at its start. */
  several: boolean;
  /** What was written of it (begin), or null. */
  shown: string | null;
}

const UNFINISHED = ' <unfinished ...>';

export class StraceLines {
  private open: OpenLine | null = null;

  constructor(private readonly formatter: StraceFormatter, private readonly out: LineWriter, private readonly showAfterNs: number) {}

  /** A call to be shown started: its line begins (another task's begun line is closed). */
  entered(call: SyscallCall): void {
    this.interrupt();
    this.formatter.noteTask(call.tid, call.pid);
    this.open = { call, several: this.formatter.severalTasks(), shown: null };
  }

  /** A call's line: whole, the end of a call shown started (resumed), or unfinished. */
  call(call: SyscallCall): void {
    const open = this.open;
    if (open && this.isOpen(call)) {
      this.open = null;
      const text = this.formatter.format(call, open.several);
      if (text === null) return;
      if (open.shown === null) this.out.line(text, call, call.tid);
      else if (text.startsWith(open.shown)) this.out.line(text.slice(open.shown.length), call, call.tid);
      else {
        // What was written no longer begins the line (the descriptor table changed a name):
        // it ends as unfinished, the call as resumed.
        this.out.line(UNFINISHED, null, call.tid);
        call.announced = true;
        const resumed = this.formatter.format(call);
        if (resumed !== null) this.out.line(resumed, call, call.tid);
      }
      return;
    }
    if (this.formatter.silent(call)) {
      this.formatter.format(call); // its task is alive: nothing is written
      return;
    }
    const text = this.formatter.format(call);
    if (text === null) return;
    this.interrupt();
    this.out.line(text, call, call.tid);
  }

  /** A line about no call (a signal, a process's end, lost events, a table) is written next. */
  other(): void {
    this.interrupt();
  }

  /** A call to be shown started is no longer shown: its begun line, if written, is ended. */
  drop(call: SyscallCall): void {
    if (!this.open || !this.isOpen(call)) return;
    if (this.open.shown !== null) this.out.line('', null, call.tid);
    this.open = null;
  }

  /** A batch ended at nowNs: a call blocked since showAfterNs has its line begun in the
   * output, as strace's terminal shows `read(0, ` while the call waits. */
  blocked(nowNs: number): void {
    const open = this.open;
    if (!open || open.shown !== null || nowNs - open.call.tsNs < this.showAfterNs) return;
    const text = this.formatter.openText(open.call, open.several);
    if (this.out.begin(text)) open.shown = text;
  }

  /** The call whose line is begun: the object entered, or the pairer's unfinished copy of it. */
  private isOpen(call: SyscallCall): boolean {
    const begun = this.open?.call;
    if (!begun) return false;
    return call === begun || (call.state === 'unfinished' && call.tid === begun.tid && call.nr === begun.nr && call.tsNs === begun.tsNs);
  }

  /** The begun line ends unfinished: its call will be shown resumed. */
  private interrupt(): void {
    const open = this.open;
    if (!open) return;
    this.open = null;
    open.call.announced = true;
    if (open.shown !== null) {
      this.out.line(UNFINISHED, null, open.call.tid);
      return;
    }
    const started = { ...open.call, state: 'started' as const };
    this.out.line(this.formatter.format(started, open.several) ?? '', started, started.tid);
  }
}

/** Lines put back in the order their events happened. The eBPF programs stamp an event's
 * time before they copy its arguments and queue it: another CPU's event stamped a little
 * later may be queued first. What the pairer emits waits here, by the time of the event
 * that caused it, until the events paired have moved windowNs past it. */
export class TimeOrder<T> {
  private items: { atNs: number; item: T }[] = [];
  /** items[0, head) were shown. */
  private head = 0;

  constructor(private readonly windowNs: number, private readonly show: (item: T) => void) {}

  /** Adds what happened at atNs, the time of the event being paired now, and shows what
   * happened windowNs before it. */
  add(atNs: number, item: T): void {
    const { items } = this;
    let i = items.length;
    while (i > this.head && items[i - 1].atNs > atNs) i--;
    if (i === items.length) items.push({ atNs, item });
    else items.splice(i, 0, { atNs, item });
    this.release(atNs);
  }

  /** Shows what happened windowNs or more before nowNs (all of it when nowNs is null: the
   * kernel's queue was found empty, or the trace ends). Returns up to when it showed. */
  release(nowNs: number | null): number {
    const until = nowNs === null ? Infinity : nowNs - this.windowNs;
    const { items } = this;
    while (this.head < items.length && items[this.head].atNs <= until) this.show(items[this.head++].item);
    if (this.head === items.length) {
      items.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > items.length) {
      items.splice(0, this.head);
      this.head = 0;
    }
    return until;
  }
}
