// report of a flight-recorder dump: the line of the call (or the process end) that fired
// the dump is followed by a mark naming the trigger: "^^^ trigger ..." or, in JSON Lines,
// an object with "event": "trigger".
import type { ProcessEvent, SyscallCall } from '../pair/call-pairer';
import { bpftrace_ts } from '../generated/batch';
import type { FlightTrigger } from './trigger-scanner';
import { describeTrigger, triggerJson } from './trigger-text';

const { TriggerKind } = bpftrace_ts;

export class TriggerMark {
  private marked = false;

  constructor(private readonly trigger: FlightTrigger, private readonly json: boolean) {}

  /** The mark to write after this call's line, once: null if the call did not fire it. A
   * call whose entry is before the dump shows from its exit, the time a trigger at its exit has. */
  afterCall(call: SyscallCall): string | null {
    const t = this.trigger;
    if (this.marked || t.nr === undefined || t.nr === null || t.nr < 0) return null;
    if (call.tid !== t.tid || call.nr !== t.nr || (call.tsNs !== t.callTsNs && call.tsNs !== t.tsNs)) return null;
    return this.mark();
  }

  /** The mark to write after this process event, once: the end of the process that fired a
   * fatal or exit trigger. */
  afterProcessEvent(event: ProcessEvent): string | null {
    const t = this.trigger;
    const ends = t.kind === TriggerKind.TRIGGER_FATAL || t.kind === TriggerKind.TRIGGER_EXIT;
    if (this.marked || !ends || event.type !== 'exit' || event.pid !== t.pid || event.tsNs !== t.tsNs) return null;
    return this.mark();
  }

  /** A trigger that is no call's (usr1) is marked where it fell in time: before the first
   * line at or after it. */
  beforeCall(call: SyscallCall): string | null {
    const t = this.trigger;
    if (this.marked || t.kind !== TriggerKind.TRIGGER_USR1 || call.tsNs < (t.tsNs ?? 0)) return null;
    return this.mark();
  }

  /** At the end of the dump: the mark, if no line took it (its line was not in the dump or
   * not shown); null if it was written. */
  unwritten(): string | null {
    return this.marked ? null : this.mark();
  }

  private mark(): string {
    this.marked = true;
    return this.json ? triggerJson(this.trigger) : `^^^ flight recorder trigger: ${describeTrigger(this.trigger)}`;
  }
}
