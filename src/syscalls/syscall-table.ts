// Lookups over the generated x86_64 syscall table.
import { SYSCALLS, SYSCALL_CLASSES, type SyscallInfo } from '../generated/syscalls';

export const NR_EXIT = 60;
export const NR_EXIT_GROUP = 231;
export const NR_EXECVE = 59;
export const NR_EXECVEAT = 322;

const byName = new Map<string, SyscallInfo>();
for (const info of SYSCALLS) if (info) byName.set(info.name, info);

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
