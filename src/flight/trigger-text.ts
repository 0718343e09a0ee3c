// A flight-recorder trigger in words, for the tracer's messages and report's header and
// mark, and as a JSON object for --format json.
import { bpftrace_ts } from '../generated/batch';
import { errnoName } from '../syscalls/raw-args';
import { syscallName } from '../syscalls/syscall-table';
import { triggerName } from './flight-options';
import type { FlightTrigger } from './trigger-scanner';

const { TriggerKind } = bpftrace_ts;

const ms = (ns: number): string => (ns / 1e6).toFixed(3);

/** "errno: write of app/4242 failed with ENOSPC at 1523.120 ms". */
export function describeTrigger(t: FlightTrigger): string {
  const who = `${t.comm || '?'}/${t.tid ?? 0}`;
  const at = `at ${ms(t.tsNs ?? 0)} ms`;
  const call = t.nr !== undefined && t.nr !== null && t.nr >= 0 ? syscallName(t.nr) : '';
  let what: string;
  switch (t.kind) {
    case TriggerKind.TRIGGER_FATAL: what = `${who} (pid ${t.pid}) killed by ${t.signal}`; break;
    case TriggerKind.TRIGGER_EXIT: what = `${who} (pid ${t.pid}) exited with ${t.exitCode}`; break;
    case TriggerKind.TRIGGER_ERRNO: what = `${call} of ${who} failed with ${errnoName(t.errno ?? 0)}`; break;
    case TriggerKind.TRIGGER_SLOW:
      what = `${call} of ${who} ${t.inProgress ? 'has been blocked for' : 'took'} ${ms(t.durationNs ?? 0)} ms`; break;
    default: what = 'SIGUSR1 sent to the tracer';
  }
  return `${triggerName(t.kind ?? 0)}: ${what} ${at}`;
}

/** The trigger as one JSON Lines object, "event": "trigger". */
export function triggerJson(t: FlightTrigger): string {
  const call = t.nr !== undefined && t.nr !== null && t.nr >= 0 ? syscallName(t.nr) : null;
  return JSON.stringify({
    event: 'trigger', trigger: triggerName(t.kind ?? 0), ts_ns: t.tsNs ?? 0, pid: t.pid ?? 0, tid: t.tid ?? 0, comm: t.comm ?? '',
    syscall: call, call_ts_ns: call ? t.callTsNs ?? 0 : null, errno: t.errno ? errnoName(t.errno) : null,
    duration_ns: t.durationNs || null, in_progress: t.inProgress ?? false, signal: t.signal || null,
    exit_code: t.kind === TriggerKind.TRIGGER_EXIT ? t.exitCode ?? 0 : null,
  });
}
