// The tracking step: every call, shown or not, teaches the descriptor table what each
// descriptor is, before any call is rendered. What a shown call's line says about its
// descriptors is noted on the call here (call.fdNotes), so that rendering changes nothing.
import type { SyscallCall } from '../pair/call-pairer';
import { argSpecs } from '../syscalls/raw-args';
import { syscallName } from '../syscalls/syscall-table';
import type { FdTable } from './fd-table';

export class CallTracker {
  constructor(private readonly fds: FdTable) {}

  /** One call event (an entry, a return, a call that will not return), in the order the
   * trace saw them: notes its descriptors' names (if it is shown: naming a descriptor not
   * seen opened reads /proc), then takes in what a return changed. */
  track(call: SyscallCall, shown: boolean): void {
    const { fds } = this;
    if (!shown) {
      call.fdNotes = undefined; // the pairer reuses its records
      fds.update(call);
      return;
    }
    const args: string[] = [];
    if (call.args) {
      const specs = argSpecs(call.nr);
      // The arguments as they were before the call: close(3</etc/hosts>).
      for (let i = 0; i < specs.length; i++) args.push(fds.argumentAnnotation(call.pid, specs[i].name, call.args[i]));
    }
    fds.update(call);
    // The result as it is after: openat(...) = 3</etc/hosts>.
    const result = call.state === 'returned' ? fds.resultAnnotation(call.pid, syscallName(call.nr), call.ret) : '';
    call.fdNotes = { args, result };
  }
}
