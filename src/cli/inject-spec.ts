// -e inject=SET:error=ENOSPC[:when=3+] / :retval=N / :delay_enter=USEC (also --inject SPEC),
// strace's fault injection: the ptrace backend makes chosen calls fail, return a value
// without running, or wait at their entry, to test a program's error paths.
import { parseErrnoList } from '../select/call-filters';
import { allSyscalls } from '../syscalls/syscall-table';
import { parseSyscallFilter } from './syscall-filter';
import type { InjectRule } from '../session/native-addon';
import { UsageError } from '../user-errors';

/** strace's limit for the numbers of when=. */
const MAX_WHEN = 65535;
/** The longest delay taken (an hour, in microseconds): more is a typo. */
const MAX_DELAY_US = 3_600_000_000;

function whenOf(text: string, spec: string): { first: number; step: number } {
  const match = /^(\d+)(\+(\d+)?)?$/.exec(text);
  const first = match ? Number(match[1]) : 0;
  const step = !match?.[2] ? 0 : match[3] === undefined ? 1 : Number(match[3]);
  if (!match || first < 1 || first > MAX_WHEN || (match[3] !== undefined && (step < 1 || step > MAX_WHEN)))
    throw new UsageError(`inject '${spec}': when= takes FIRST, FIRST+ or FIRST+STEP, numbers from 1 to ${MAX_WHEN}`);
  return { first, step };
}

/** SET:action[:action...]: the syscall set as -e takes it, then error=, retval=, delay_enter=
 * and when=. */
export function parseInjectSpec(spec: string): InjectRule {
  const [set, ...actions] = spec.split(':');
  if (set === '' || actions.length === 0)
    throw new UsageError(`inject '${spec}': give SET:error=ERRNO, SET:retval=N or SET:delay_enter=USEC (with :when=)`);
  const rule: InjectRule = { syscalls: parseSyscallFilter(set) ?? allSyscalls().map((s) => s.nr), first: 1, step: 1 };
  for (const action of actions) {
    const [key, value = ''] = action.split(/=(.*)/s, 2);
    if (key === 'error') {
      const errnos = [...parseErrnoList(value, `inject '${spec}'`)];
      if (errnos.length !== 1) throw new UsageError(`inject '${spec}': error= takes one errno`);
      rule.error = errnos[0];
    } else if (key === 'retval') {
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)))
        throw new UsageError(`inject '${spec}': retval= takes a non-negative integer (a failure is error=)`);
      rule.retval = Number(value);
    } else if (key === 'delay_enter') {
      if (!/^\d+$/.test(value) || Number(value) > MAX_DELAY_US)
        throw new UsageError(`inject '${spec}': delay_enter= takes microseconds, at most ${MAX_DELAY_US}`);
      rule.delayEnterUs = Number(value);
    } else if (key === 'when') {
      Object.assign(rule, whenOf(value, spec));
    } else {
      throw new UsageError(`inject '${spec}': unknown action '${key}' (known: error, retval, delay_enter, when)`);
    }
  }
  if (rule.error !== undefined && rule.retval !== undefined) throw new UsageError(`inject '${spec}': give error= or retval=, not both`);
  if (rule.error === undefined && rule.retval === undefined && rule.delayEnterUs === undefined)
    throw new UsageError(`inject '${spec}': say what to do: error=, retval= or delay_enter=`);
  return rule;
}
