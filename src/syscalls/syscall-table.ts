// Lookups over the generated x86_64 syscall table.
import { SYSCALLS, SYSCALL_CLASSES, type SyscallInfo } from '../generated/syscalls';

const byName = new Map<string, SyscallInfo>();
for (const info of SYSCALLS) if (info) byName.set(info.name, info);

/** The number of a syscall the code names (a missing one is a bug, found at load). */
export function syscallNumber(name: string): number {
  const info = byName.get(name);
  if (!info) throw new Error(`no syscall ${name} in the table`);
  return info.nr;
}

export const NR_EXIT = syscallNumber('exit');
export const NR_EXIT_GROUP = syscallNumber('exit_group');
export const NR_EXECVE = syscallNumber('execve');
export const NR_EXECVEAT = syscallNumber('execveat');

export function syscallByName(name: string): SyscallInfo | undefined {
  return byName.get(name);
}

export function syscallName(nr: number): string {
  return SYSCALLS[nr]?.name ?? `syscall_${nr}`;
}

export function syscallInfo(nr: number): SyscallInfo | undefined {
  return SYSCALLS[nr];
}

/** How many arguments each syscall number takes, as the table says; 6 where it has no entry. */
export function argumentCounts(): number[] {
  return SYSCALLS.map((info) => info?.args.length ?? 6);
}

export function allSyscalls(): SyscallInfo[] {
  return [...byName.values()];
}

export function isSyscallClass(name: string): boolean {
  return SYSCALL_CLASSES.includes(name);
}

export { SYSCALL_CLASSES };
export type { SyscallInfo };
