// Signals and process exits (ProcessEvent) in each output format, as strace writes them:
//   --- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_TKILL, si_pid=42, si_uid=0} ---
//   +++ exited with 1 +++        +++ killed by SIGKILL +++
import type { ProcessEvent } from '../pair/call-pairer';
import { signalName, siginfoFields, siginfoText } from '../decode/siginfo';

/** What the exit's wait status says, decoded once for every format. */
export function exitOutcome(status: number): { code: number | null; signal: string | null; coreDumped: boolean } {
  const termSignal = status & 0x7f;
  if (termSignal === 0) return { code: (status >> 8) & 0xff, signal: null, coreDumped: false };
  return { code: null, signal: signalName(termSignal), coreDumped: (status & 0x80) !== 0 };
}

/** The strace text of the event, without a prefix. */
export function processEventText(event: ProcessEvent): string {
  if (event.type === 'signal') {
    return `--- ${signalName(event.signo)} ${siginfoText(event.siginfo)} ---`;
  }
  const outcome = exitOutcome(event.status);
  if (outcome.signal === null) return `+++ exited with ${outcome.code} +++`;
  return `+++ killed by ${outcome.signal}${outcome.coreDumped ? ' (core dumped)' : ''} +++`;
}

/** A JSON object with "event": "signal" or "exit" (calls have "syscall" instead). */
export function formatProcessEventJson(event: ProcessEvent, times: Record<string, string | number> = {}): string {
  const common = { ts_ns: event.tsNs, ...times, pid: event.pid, tid: event.tid, comm: event.comm };
  if (event.type === 'signal') {
    // Numbers as JSON numbers, names (SIGCHLD, CLD_EXITED, NULL) as strings.
    const siginfo = Object.fromEntries(siginfoFields(event.siginfo).map(([name, value]) =>
      [name, /^-?\d+$/.test(value) ? Number(value) : value]));
    return JSON.stringify({ ...common, event: 'signal', signal: signalName(event.signo), siginfo });
  }
  const outcome = exitOutcome(event.status);
  return JSON.stringify({ ...common, event: 'exit', exit_code: outcome.code, killed_by: outcome.signal, core_dumped: outcome.coreDumped });
}
