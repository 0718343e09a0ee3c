// A signal's siginfo_t (x86_64 layout), as strace shows it:
//   {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=42, si_uid=0, si_status=0, si_utime=0, si_stime=0}
import { enumName, tableValue } from './symbols';

const SIGCHLD = tableValue('signals', 'SIGCHLD');
const FAULT_SIGNALS = new Set(['SIGILL', 'SIGBUS', 'SIGFPE', 'SIGSEGV', 'SIGTRAP'].map((name) => tableValue('signals', name)));

/** si_code values every signal can carry (the kernel's SI_* in asm-generic/siginfo.h). */
const GENERIC_CODES: Record<number, string> = {
  0: 'SI_USER', 0x80: 'SI_KERNEL', [-1]: 'SI_QUEUE', [-2]: 'SI_TIMER', [-3]: 'SI_MESGQ',
  [-4]: 'SI_ASYNCIO', [-5]: 'SI_SIGIO', [-6]: 'SI_TKILL',
};
const CHILD_CODES = ['', 'CLD_EXITED', 'CLD_KILLED', 'CLD_DUMPED', 'CLD_TRAPPED', 'CLD_STOPPED', 'CLD_CONTINUED'];
const FAULT_CODES: Record<number, string[]> = {
  4: ['', 'ILL_ILLOPC', 'ILL_ILLOPN', 'ILL_ILLADR', 'ILL_ILLTRP', 'ILL_PRVOPC', 'ILL_PRVREG', 'ILL_COPROC', 'ILL_BADSTK'],
  7: ['', 'BUS_ADRALN', 'BUS_ADRERR', 'BUS_OBJERR', 'BUS_MCEERR_AR', 'BUS_MCEERR_AO'],
  8: ['', 'FPE_INTDIV', 'FPE_INTOVF', 'FPE_FLTDIV', 'FPE_FLTOVF', 'FPE_FLTUND', 'FPE_FLTRES', 'FPE_FLTINV', 'FPE_FLTSUB'],
  11: ['', 'SEGV_MAPERR', 'SEGV_ACCERR', 'SEGV_BNDERR', 'SEGV_PKUERR'],
  5: ['', 'TRAP_BRKPT', 'TRAP_TRACE', 'TRAP_BRANCH', 'TRAP_HWBKPT'],
};

export function signalName(signo: number): string {
  return enumName('signals', signo) ?? `SIG${signo}`;
}

function codeName(signo: number, code: number): string {
  if (code > 0 && code < 0x80) {
    if (signo === SIGCHLD && CHILD_CODES[code]) return CHILD_CODES[code];
    const fault = FAULT_CODES[signo]?.[code];
    if (fault) return fault;
  }
  return GENERIC_CODES[code] ?? String(code);
}

/** A siginfo_t as strace writes it: {si_signo=SIGCHLD, si_code=CLD_EXITED, ...}. */
export function siginfoText(bytes: Uint8Array): string {
  // No signal (waitid with WNOHANG and no child to report): strace shows {}.
  if (bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getInt32(0, true) === 0) return '{}';
  return `{${siginfoFields(bytes).map(([name, value]) => `${name}=${siginfoFieldText(name, value)}`).join(', ')}}`;
}

/** The fields of a siginfo_t in strace's order, each value as strace writes it. */
export function siginfoFields(bytes: Uint8Array): [string, string][] {
  if (bytes.length < 48) return [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const signo = view.getInt32(0, true);
  const code = view.getInt32(8, true);
  const fields: [string, string][] = [['si_signo', signalName(signo)], ['si_code', codeName(signo, code)]];
  const errno = view.getInt32(4, true);
  if (errno !== 0) fields.push(['si_errno', String(errno)]);
  if (FAULT_SIGNALS.has(signo) && code > 0 && code < 0x80) {
    const addr = view.getBigUint64(16, true);
    fields.push(['si_addr', addr === 0n ? 'NULL' : '0x' + addr.toString(16)]);
    return fields;
  }
  // Sent by a process (kill, tgkill, sigqueue) or about a child: who sent it.
  if ((code <= 0 && code !== -2) || signo === SIGCHLD) {
    fields.push(['si_pid', String(view.getInt32(16, true))], ['si_uid', String(view.getUint32(20, true))]);
    if (signo === SIGCHLD && code > 0) {
      const status = view.getInt32(24, true);
      fields.push(['si_status', code === 1 ? String(status) : signalName(status)],
        ['si_utime', String(view.getBigInt64(32, true))], ['si_stime', String(view.getBigInt64(40, true))]);
    } else if (code === -1) {
      fields.push(['si_int', String(view.getInt32(24, true))]);
    }
  }
  return fields;
}

/** Clock ticks per second in what the kernel reports to programs (USER_HZ: 100 on x86_64). */
const USER_HZ = 100n;
/** The siginfo fields in clock ticks, after which strace writes the seconds. */
const CLOCK_TICK_FIELDS = new Set(['si_utime', 'si_stime']);

/** A clock_t as strace's print_clock_t: the ticks and, unless 0, the seconds they make in a
 * comment (1, then 0.01 s). */
export function clockTicksText(ticks: bigint): string {
  if (ticks === 0n) return '0';
  return `${ticks} /* ${ticks / USER_HZ}.${String(ticks % USER_HZ).padStart(2, '0')} s */`;
}

/** A field's value as strace writes it in its line: ticks with their seconds when not 0. */
export function siginfoFieldText(name: string, value: string): string {
  if (!CLOCK_TICK_FIELDS.has(name) || !/^\d+$/.test(value)) return value;
  return clockTicksText(BigInt(value));
}
