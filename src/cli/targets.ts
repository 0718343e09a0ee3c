// -p/--pid: which running processes to attach to, checked before anything is started.
import fs from 'node:fs';
import { UsageError, UserError } from '../user-errors';
import { KERNEL_VALUES as K } from '../generated/flag-tables';

const { PF_KTHREAD } = K;

/** "230,231" -> [230, 231]; a usage error for anything that is not a list of positive integers. */
export function parsePidList(list: string): number[] {
  const pids = list.split(',').map((s) => s.trim());
  for (const pid of pids) if (!/^[1-9][0-9]*$/.test(pid)) throw new UsageError(`invalid pid '${pid}' in '${list}'`);
  return [...new Set(pids.map(Number))];
}

function statusField(status: string, field: string): string | undefined {
  return new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(status)?.[1];
}

/** The thread group (process) of each pid or tid, after checking it can be traced. */
export function resolveTargets(pids: number[]): number[] {
  const tgids = new Set<number>();
  for (const pid of pids) {
    let status: string;
    let stat: string;
    try {
      status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      throw new UserError(`no such process: ${pid}`);
    }
    const tgid = Number(statusField(status, 'Tgid'));
    if (tgid === process.pid) throw new UserError(`process ${pid} is bpftrace-ts itself, which never traces itself`);
    // stat: "pid (comm) state ppid ... flags" with flags the 9th field; comm may hold spaces.
    const flags = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[6]);
    if (flags & PF_KTHREAD) throw new UserError(`process ${pid} is a kernel thread: it makes no system calls`);
    // A zombie has exited: only its parent's wait() is left to take its status.
    if (statusField(status, 'State')?.startsWith('Z'))
      throw new UserError(`process ${pid} is a zombie: it has exited and makes no system calls (its parent has not reaped it)`);
    tgids.add(tgid);
  }
  return [...tgids];
}
