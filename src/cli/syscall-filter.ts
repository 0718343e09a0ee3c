// -e/--expr: which syscalls to trace, as a set of numbers for the in-kernel bitmap.
//   names (read,write), globs (*stat*), strace classes (%file), and !item to exclude;
//   an optional leading "trace=" is accepted as strace writes it.
import { allSyscalls, isSyscallClass, syscallByName, SYSCALL_CLASSES } from '../syscalls/syscall-table';
import { UsageError } from '../user-errors';

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** Up to three known names closest to an unknown one. */
export function nearestSyscallNames(name: string): string[] {
  return allSyscalls()
    .map((s) => ({ name: s.name, score: editDistance(name, s.name) - (s.name.startsWith(name) || name.startsWith(s.name) ? 1 : 0) }))
    .filter((s) => s.score <= Math.max(2, Math.floor(name.length / 3)))
    .sort((a, b) => a.score - b.score || a.name.localeCompare(b.name))
    .slice(0, 3)
    .map((s) => s.name);
}

function resolveItem(item: string): number[] {
  if (item.startsWith('%')) {
    if (!isSyscallClass(item)) throw new UsageError(`unknown syscall class '${item}' (known: ${SYSCALL_CLASSES.join(' ')})`);
    return allSyscalls().filter((s) => s.classes.includes(item)).map((s) => s.nr);
  }
  if (/[*?]/.test(item)) {
    const pattern = globToRegExp(item);
    const matched = allSyscalls().filter((s) => pattern.test(s.name)).map((s) => s.nr);
    if (matched.length === 0) throw new UsageError(`'${item}' matches no syscall`);
    return matched;
  }
  const info = syscallByName(item);
  if (!info) {
    const near = nearestSyscallNames(item);
    throw new UsageError(`unknown syscall '${item}'` + (near.length ? ` (did you mean ${near.join(', ')}?)` : ''));
  }
  return [info.nr];
}

/** The syscall numbers selected by expr, or undefined when it selects every syscall. */
export function parseSyscallFilter(expr: string): number[] | undefined {
  const items = expr.replace(/^trace=/, '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 0) throw new UsageError('-e needs at least one syscall name, glob or %class');
  const included = new Set<number>();
  const excluded = new Set<number>();
  for (const item of items) {
    if (item.startsWith('!')) for (const nr of resolveItem(item.slice(1))) excluded.add(nr);
    else for (const nr of resolveItem(item)) included.add(nr);
  }
  if (included.size === 0 && excluded.size === 0) return undefined;
  const base = included.size > 0 ? [...included] : allSyscalls().map((s) => s.nr);
  const selected = base.filter((nr) => !excluded.has(nr)).sort((a, b) => a - b);
  if (selected.length === 0) throw new UsageError(`-e '${expr}' selects no syscall`);
  return selected;
}
