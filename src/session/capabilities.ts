// Which capabilities this process has (CapEff in /proc/self/status), and the one-line
// reason a backend cannot run without the ones it lacks: the eBPF failure message and
// the notice of a fallback to another backend say the same thing.
import fs from 'node:fs';
import { bpftrace_ts } from '../generated/batch';
import { errnoNumber } from '../syscalls/raw-args';
import type { NativeError } from './native-addon';

/** Capability numbers from linux/capability.h. */
const CAPABILITY_BITS = {
  CAP_SYS_ADMIN: 21,
  CAP_PERFMON: 38,
  CAP_BPF: 39,
} as const;

export type CapabilityName = keyof typeof CAPABILITY_BITS;

/** The effective capability set of a /proc/PID/status text (this process's by default). */
export function effectiveCapabilities(status: string = fs.readFileSync('/proc/self/status', 'utf8')): bigint {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  if (hex === undefined) throw new Error('no CapEff line in /proc/self/status');
  return BigInt('0x' + hex);
}

/** Those of `needed` that are not in the set `effective`. */
export function missingCapabilities(needed: readonly CapabilityName[], effective: bigint = effectiveCapabilities()): CapabilityName[] {
  return needed.filter((name) => (effective & (1n << BigInt(CAPABILITY_BITS[name]))) === 0n);
}

/**
 * Why the eBPF backend cannot load here, or null if capabilities are not the reason. It
 * needs CAP_BPF (load programs, create maps) and CAP_PERFMON (attach to tracepoints and
 * read kernel memory); CAP_SYS_ADMIN alone grants both.
 */
export function bpfCapabilityReason(effective: bigint = effectiveCapabilities()): string | null {
  if (missingCapabilities(['CAP_SYS_ADMIN'], effective).length === 0) return null;
  const missing = missingCapabilities(['CAP_BPF', 'CAP_PERFMON'], effective);
  if (missing.length === 0) return null;
  return `missing ${missing.join(' and ')}: the eBPF backend needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN); run as root or grant ${missing.length > 1 ? 'them' : 'it'}`;
}

const EPERM = errnoNumber('EPERM');

/** The missing capability, when lack of permission (EPERM) made the eBPF backend fail. */
export function bpfCapabilityReasonOf(error: { errno?: number }, effective?: bigint): string | null {
  return error.errno === EPERM ? bpfCapabilityReason(effective) : null;
}

/** What the tracer says when it uses the ptrace backend because eBPF cannot run here. */
export function ptraceFallbackNote(reason: string): string {
  return `eBPF unavailable (${reason}); using the ptrace backend`;
}

/** The message for a failed start of the ptrace backend: its own reason, not eBPF's. */
export function ptraceStartFailure(error: Pick<NativeError, 'message' | 'errno' | 'errnoMessage' | 'kind' | 'pid'>): string {
  if (error.kind !== bpftrace_ts.NativeErrorKind.ERROR_PROCESS || error.pid === undefined) return error.message;
  if (error.errno === EPERM)
    return `cannot trace process ${error.pid} with ptrace: operation not permitted (another user's process, or kernel.yama.ptrace_scope forbids it; root or CAP_SYS_PTRACE can trace it)`;
  return `cannot trace process ${error.pid} with ptrace: ${error.errnoMessage ?? error.message}`;
}

/** The message for a failed start of the eBPF backend: the missing capability when lack
 * of permission is the cause, else the native message as it is. */
export function bpfStartFailure(error: { message: string; errno?: number }, effective?: bigint): string {
  const reason = bpfCapabilityReasonOf(error, effective);
  return reason !== null ? `cannot load the eBPF programs: ${reason}` : error.message;
}
