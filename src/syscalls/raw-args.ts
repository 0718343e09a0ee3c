// Names raw syscall values from the generated table: which argument is which, and whether
// a register holds a pointer, a signed or an unsigned number of which width. Decoding of
// flags, strings and structs is the decoders' job; this is what the raw value means.
import { ERRNOS } from '../generated/errno';
import { syscallInfo, syscallNumber } from './syscall-table';
import { KERNEL_VALUES as K } from '../generated/flag-tables';
import { bpftrace_ts } from '../generated/batch';

const { Tampering } = bpftrace_ts;

type ValueKind = 'pointer' | 's32' | 'u32' | 's64' | 'u64' | 'hex' | 'octal';

export interface ArgSpec {
  readonly name: string;
  readonly kind: ValueKind;
}

const SIGNED_32 = new Set(['int', 'const int', 'pid_t', 'key_t', 'clockid_t', 'const clockid_t', 'timer_t', 'mqd_t', 'key_serial_t', 'rwf_t']);
const UNSIGNED_32 = new Set(['unsigned int', 'unsigned', 'u32', 'const u32', '__u32', 'const __u32', 'uid_t', 'gid_t', 'qid_t', 'umode_t']);
const SIGNED_64 = new Set(['long', 'off_t', 'loff_t']);
const POINTER_TYPEDEFS = new Set(['cap_user_header_t', 'cap_user_data_t']);
const FLAG_NAME = /flags|mask|prot|^how$|^options$/;
const ADDRESS_NAME = /addr$|^start$|^brk$/;
const FD_NAME = /fd$/;

/** Arguments whose declared type hides what they carry: `syscall.argument` -> kind. ioctl's
 * third argument is declared unsigned long, but nearly every request passes a pointer there. */
/** Arguments perf trace shows otherwise than their C type says: arch_prctl's address in
 * hex (rseq's sig stays decimal: perf trace 6.1 prints it so). */
const KIND_OVERRIDES = new Map<string, ValueKind>([['ioctl.arg', 'pointer'], ['arch_prctl.arg2', 'hex']]);

function kindOf(syscall: string, type: string, name: string): ValueKind {
  const override = KIND_OVERRIDES.get(`${syscall}.${name}`);
  if (override) return override;
  if (type.includes('*') || POINTER_TYPEDEFS.has(type) || (ADDRESS_NAME.test(name) && type === 'unsigned long')) return 'pointer';
  if (type === 'umode_t') return 'octal';
  if (FLAG_NAME.test(name)) return 'hex';
  if (FD_NAME.test(name)) return 's32'; // an fd of -1 reads better than 4294967295
  if (SIGNED_32.has(type)) return 's32';
  if (UNSIGNED_32.has(type)) return 'u32';
  if (SIGNED_64.has(type)) return 's64';
  return 'u64';
}

const specCache = new Map<number, readonly ArgSpec[]>();
const UNKNOWN_ARGS: readonly ArgSpec[] = ['arg0', 'arg1', 'arg2', 'arg3', 'arg4', 'arg5'].map((name) => ({ name, kind: 'hex' as const }));

/** The named arguments of syscall nr; six anonymous ones when the table has no list. */
export function argSpecs(nr: number): readonly ArgSpec[] {
  let specs = specCache.get(nr);
  if (!specs) {
    const info = syscallInfo(nr);
    const args = info?.args;
    specs = args && args.length > 0 ? args.map((a) => ({ name: a.name, kind: kindOf(info.name, a.type, a.name) })) : info ? [] : UNKNOWN_ARGS;
    specCache.set(nr, specs);
  }
  return specs;
}

function unsigned64(value: number): bigint {
  return BigInt.asUintN(64, BigInt(value));
}

// Programs pass the same buffers and addresses over and over; Number#toString(16) is
// slow enough to matter at a million calls, so recent conversions are kept.
const HEX_CACHE_SIZE = 1024;
const hexKeys = new Float64Array(HEX_CACHE_SIZE).fill(-1);
const hexTexts: string[] = new Array<string>(HEX_CACHE_SIZE).fill('');

/** Hex digits (no 0x) of a raw value: a negative one read as unsigned 64-bit. */
export function hex(value: number): string {
  if (value < 0) return unsigned64(value).toString(16);
  const slot = (value / 16) % HEX_CACHE_SIZE | 0; // addresses are mostly 16-byte aligned
  if (hexKeys[slot] === value) return hexTexts[slot];
  const text = value.toString(16);
  hexKeys[slot] = value;
  hexTexts[slot] = text;
  return text;
}

/** Decimal digits of an integral value; past 2^53 String() would print a rounded form. */
function decimal(value: number): string {
  return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
}

/** A raw value as text, the way perf trace shows undecoded arguments. */
export function formatValue(kind: ValueKind, value: number): string {
  switch (kind) {
    case 'pointer': return value === 0 ? 'NULL' : '0x' + hex(value);
    case 'hex': return '0x' + hex(value);
    case 'octal': return value === 0 ? '0' : '0' + (value >>> 0).toString(8);
    case 's32': return String(value | 0);
    case 'u32': return String(value >>> 0);
    case 's64': return decimal(value);
    case 'u64': return value >= 0 ? decimal(value) : unsigned64(value).toString();
  }
}

/** A raw value as JSON: numbers where exact, pointers as "0x..." strings. */
export function jsonValue(kind: ValueKind, value: number): string {
  switch (kind) {
    case 'pointer': return '"0x' + hex(value) + '"';
    case 's32': return String(value | 0);
    case 'u32': case 'octal': return String(value >>> 0);
    case 'hex': case 'u64': return value >= 0 ? decimal(value) : '"' + unsigned64(value).toString() + '"';
    case 's64': return decimal(value);
  }
}

/** Syscalls whose successful result is an address. */
const RETURNS_ADDRESS = new Set(['mmap', 'brk', 'mremap', 'shmat'].map(syscallNumber));
const { MAX_ERRNO } = K;
const NR_BRK = syscallNumber('brk'); // returns the break, never -errno

/** The errno of a failed call, or null if it succeeded. */
export function errnoOf(nr: number, ret: number): number | null {
  return ret < 0 && ret >= -MAX_ERRNO && nr !== NR_BRK ? -ret : null;
}

/** The number of an errno the code names (a missing one is a bug, found at load). */
export function errnoNumber(name: string): number {
  const errno = ERRNOS.findIndex((info) => info?.name === name);
  if (errno < 0) throw new Error(`no errno ${name} in the table`);
  return errno;
}

export function errnoName(errno: number): string {
  return ERRNOS[errno]?.name ?? `E${errno}`;
}

/** Kernel-internal restart codes (ERESTARTSYS...): the program never sees them, so, as in
 * strace, the result is shown as "?" with the code. */
const { ERESTARTSYS: FIRST_RESTART_ERRNO, ERESTART_RESTARTBLOCK: LAST_RESTART_ERRNO } = K;

/** `26`, `0x7f...`, `-1 ENOENT (No such file or directory)`, `? ERESTARTSYS (...)`. */
export function formatReturn(nr: number, ret: number): string {
  const errno = errnoOf(nr, ret);
  if (errno !== null) {
    const info = ERRNOS[errno];
    const value = errno >= FIRST_RESTART_ERRNO && errno <= LAST_RESTART_ERRNO ? '?' : '-1';
    return info ? `${value} ${info.name} (${info.message})` : `-1 E${errno} (Unknown error ${errno})`;
  }
  return RETURNS_ADDRESS.has(nr) ? '0x' + hex(ret) : String(ret);
}

/** What strace adds after the result of a call it tampered with: " (INJECTED)", " (DELAYED)". */
export function tamperingNote(tampered: number): string {
  return (tampered & Tampering.TAMPER_INJECTED ? ' (INJECTED)' : '') + (tampered & Tampering.TAMPER_DELAYED ? ' (DELAYED)' : '');
}
