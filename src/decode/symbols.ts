// Decoding numbers into the symbolic names of the generated flag tables: the two shapes
// every domain module builds on (bit flags joined with '|', and enumerations).
import { FLAG_TABLES, type FlagTableName } from '../generated/flag-tables';
import { hex as rawHex } from '../syscalls/raw-args';

/** A decoded argument as strace shows it (full names) and as perf trace does (no prefix). */
export interface Decoded {
  readonly strace: string;
  readonly perf: string;
}

/** Decodes one argument; some need the call's other arguments (a protocol means
 * something only within its family). */
export type ArgDecoder = (value: number, args: readonly number[]) => Decoded;

export function same(text: string): Decoded {
  return { strace: text, perf: text };
}

/** A raw value in hex, as the kernel headers write unnamed bits. */
export function hex(value: number): string {
  return '0x' + rawHex(value);
}

function withoutPrefix(name: string, prefix: string): string {
  return prefix && name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

/** Names joined with '|', each in both spellings. */
/** printf's %#x, strace's hex for numbers: 0 without the 0x. */
export const hexNumber = (value: number): string => (value === 0 ? '0' : '0x' + value.toString(16));

export function joined(names: readonly string[], prefix: string): Decoded {
  return { strace: names.join('|'), perf: names.map((n) => withoutPrefix(n, prefix)).join('|') };
}

/**
 * The names of the table's flags set in value, and the bits no name covers. Flag arguments
 * are C ints (the register's upper half is not part of them), so this reads the low 32
 * bits; clone3's 64-bit flags live in a struct, not in an argument.
 */
export function flagNames(table: FlagTableName, value: number): { names: string[]; rest: number } {
  const names: string[] = [];
  let rest = value >>> 0;
  for (const [name, bit] of FLAG_TABLES[table].entries) {
    if (bit !== 0 && bit <= 0xffffffff && (rest & bit) >>> 0 === bit) {
      names.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  return { names, rest };
}

/** Flags as `A|B|0x40`; `zero` names the value 0 (e.g. PROT_NONE), else it prints as 0. */
export function flags(table: FlagTableName, value: number, zero?: string): Decoded {
  if (value >>> 0 === 0) return zero ? joined([zero], FLAG_TABLES[table].prefix) : same('0');
  const { names, rest } = flagNames(table, value);
  if (rest !== 0) names.push(hex(rest));
  return joined(names, FLAG_TABLES[table].prefix);
}

/** The enumeration's name for value, or the number itself. */
export function enumName(table: FlagTableName, value: number): string | undefined {
  for (const [name, v] of FLAG_TABLES[table].entries) if (v === value) return name;
  return undefined;
}

export function enumeration(table: FlagTableName, value: number): Decoded {
  const name = enumName(table, value);
  return name ? joined([name], FLAG_TABLES[table].prefix) : same(String(value));
}

/** Decoders for arguments that are exactly one table's flags or enumeration. */
export const flagsDecoder = (table: FlagTableName): ArgDecoder => (value) => flags(table, value);
export const enumDecoder = (table: FlagTableName): ArgDecoder => (value) => enumeration(table, value);

/** An enumeration in the low bits with flags above them (socket types, futex ops, mmap). */
export function enumWithFlags(enumTable: FlagTableName, mask: number, flagTable: FlagTableName, value: number): Decoded {
  const kind = enumeration(enumTable, (value & mask) >>> 0);
  const rest = (value & ~mask) >>> 0;
  if (rest === 0) return kind;
  const extra = flags(flagTable, rest);
  return { strace: `${kind.strace}|${extra.strace}`, perf: `${kind.perf}|${extra.perf}` };
}

/** A uid_t or gid_t as strace writes it: (uid_t)-1, "none" or "leave unchanged", as -1. */
export function userOrGroupIdText(id: number): string {
  return id === 0xffffffff ? '-1' : String(id);
}

/** A constant's value by its name in a generated table (scripts/data/flag-tables.txt). */
export function tableValue(table: FlagTableName, name: string): number {
  const entry = FLAG_TABLES[table].entries.find(([entryName]) => entryName === name);
  if (!entry) throw new Error(`${name} is not in the ${table} table`);
  return entry[1];
}
