// --format strace against the corpus in test/fixtures/corpus: each program makes calls with
// known arguments and writes the lines strace prints for them (checked against strace itself
// when the corpus was written); every one must appear, in order, in the tracer's output.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('node:fs');
const path = require('node:path');
const { fixture, missingLines, runTracer, tempDir } = require('../helpers');

const dir = tempDir();
const CORPUS = ['files', 'net', 'process', 'misc'];
const covered = new Set();

async function traceCorpus(name, extraArgs = []) {
  const work = fs.mkdtempSync(path.join(dir, `${name}-`));
  const expectedFile = path.join(work, 'expected');
  const traceFile = path.join(work, 'trace');
  const run = await runTracer(['--format', 'strace', ...extraArgs, '-o', traceFile, '--', fixture(`corpus/${name}`), expectedFile, work]);
  assert.is(run.status, 0, run.stderr);
  const expected = fs.readFileSync(expectedFile, 'utf8').split('\n').filter(Boolean);
  return { expected, trace: fs.readFileSync(traceFile, 'utf8').split('\n'), work };
}

for (const name of CORPUS) {
  test(`corpus ${name}: every line strace prints, in order`, async () => {
    const { expected, trace } = await traceCorpus(name);
    for (const line of expected) covered.add(line.replace(/\(.*/, ''));
    assert.equal(missingLines(expected, trace), [], `lines missing; the trace:\n${trace.join("\n")}`);
  });
}

test('the corpus covers at least 60 syscalls', () => {
  assert.ok(covered.size >= 60, `${covered.size} syscalls: ${[...covered].join(' ')}`);
});

test('-s cuts strings and buffers, paths stay whole', async () => {
  const { trace, work } = await traceCorpus('files', ['-s', '5']);
  assert.ok(trace.some((l) => /^write\(\d+, "hello"\.\.\., 14\)/.test(l)), 'the buffer cut at 5 bytes');
  assert.ok(trace.some((l) => l.startsWith(`openat(AT_FDCWD, "${work}/data.txt", O_WRONLY|O_CREAT|O_TRUNC, 0644)`)), 'the path whole');
});

// strace shows -s elements of argv and then "...": gcc's collect2 passes 44 arguments, which
// strace -s 64 shows whole (the eBPF programs copied 32 until argv was walked in chunks).
for (const backend of [[], ['--ptrace']]) {
  test(`${backend[0] ?? 'bpf'}: execve's argv shows -s elements, as strace does`, async () => {
    const args = Array.from({ length: 70 }, (_, i) => String(i + 1));
    const quoted = (list) => list.map((a) => `"${a}"`).join(', ');
    for (const [size, shown] of [[5, '"/bin/"..., "1", "2", "3", "4", ...'], [64, `"/bin/true", ${quoted(args.slice(0, 63))}, ...`],
      [80, `"/bin/true", ${quoted(args)}`]]) {
      const run = await runTracer([...backend, '--format', 'strace', '-qq', '-s', String(size), '-e', 'execve', '--', '/bin/true', ...args]);
      assert.is(run.status, 0, run.stderr);
      const line = run.stdout.split('\n').find((l) => l.startsWith('execve('));
      assert.match(line, new RegExp(`^execve\\("/bin/true", \\[${shown.replace(/[.*[\]()]/g, '\\$&')}\\], 0x[0-9a-f]+ /\\* \\d+ vars \\*/\\) = 0$`), `-s ${size}`);
    }
  });
}

// rt_sigreturn's exit reports syscall -1 (the kernel restored orig_ax from the signal frame):
// with -e the eBPF programs dropped it, leaving the call unfinished.
for (const backend of [[], ['--ptrace']]) {
  test(`${backend[0] ?? 'bpf'}: -e rt_sigreturn shows its result`, async () => {
    const run = await runTracer([...backend, '--format', 'strace', '-qq', '-e', 'rt_sigreturn', '--',
      'sh', '-c', 'trap "echo handled" USR1; kill -USR1 $$; true']);
    assert.is(run.status, 0, run.stderr);
    assert.ok(run.stdout.split('\n').some((l) => /^rt_sigreturn\(.*\) += 0$/.test(l)), run.stdout);
    assert.not.match(run.stdout, /unfinished/);
  });
}

test('-y shows what each descriptor refers to; -yy the endpoints of a TCP connection', async () => {
  const files = await traceCorpus('files', ['-y']);
  const data = `${files.work}/data.txt`;
  assert.ok(files.trace.some((l) => l.startsWith(`openat(AT_FDCWD, "${data}", O_RDONLY|O_CLOEXEC) = 3<${data}>`)), 'the result');
  assert.ok(files.trace.some((l) => l.startsWith(`read(3<${data}>, "hello\\n", 6)`)), 'an argument');
  const net = await traceCorpus('net', ['-yy']);
  // The accepted connection: both ends from the traced bind, getsockname and accept.
  assert.ok(net.trace.some((l) => /^recvfrom\(\d+<TCP:\[127\.0\.0\.1:\d+->127\.0\.0\.1:\d+\]>, "ping", 64/.test(l)), net.trace.join('\n'));
});

test('-tt and -T: wall clock with microseconds, and each call\'s time', async () => {
  const { trace } = await traceCorpus('process', ['-tt', '-T']);
  const line = trace.find((l) => l.includes(' nanosleep('));
  assert.match(line, /^\d\d:\d\d:\d\d\.\d{6} nanosleep\(\{tv_sec=0, tv_nsec=1000000\}, NULL\) += 0 <\d+\.\d{6}>$/);
});

test('a path in a page not yet touched is copied at the exit, and -v counts the retry', async () => {
  const holder = path.join(dir, 'path-holder');
  fs.writeFileSync(holder, '/etc/hostname\0');
  const trace = path.join(dir, 'untouched.trace');
  const run = await runTracer(['--format', 'strace', '-v', '-e', 'openat,write,writev', '-o', trace, '--', fixture('untouched_path'), holder]);
  assert.is(run.status, 0, run.stderr);
  // Without the padding before " = " (the result column).
  const lines = fs.readFileSync(trace, 'utf8').split('\n').map((l) => l.replace(/\) +=/, ') ='));
  const sink = /pipe=(\d+)/.exec(run.stdout)?.[1];
  for (const expected of ['openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = ', `write(${sink}, "/etc/", 5) = 5`,
    `writev(${sink}, [{iov_base="/etc/", iov_len=5}], 1) = 5`])
    assert.ok(lines.some((l) => l.startsWith(expected)), `${expected}\n${lines.join('\n')}`);
  const copies = /argument copies: (\d+) at the entry, (\d+) retried at the exit after a fault, (\d+) failed/.exec(run.stderr);
  assert.ok(copies && Number(copies[2]) >= 3, run.stderr);
});

for (const [name, backend] of [['ptrace', ['--ptrace']], ['bpf', ['--backend', 'bpf']]]) {
  test(`${name} backend: signals and ends in strace's words`, async () => {
    const trace = path.join(dir, `signals-${name}.trace`);
    const run = await runTracer([...backend, '--format', 'strace', '-o', trace, '--', fixture('signal_self')]);
    assert.is(run.status, 0, run.stderr);
    const lines = fs.readFileSync(trace, 'utf8').split('\n');
    const delivered = lines.findIndex((l) => /^--- SIGUSR1 \{si_signo=SIGUSR1, si_code=SI_TKILL, si_pid=\d+, si_uid=\d+\} ---$/.test(l));
    assert.ok(delivered > 0, lines.join('\n'));
    // After the call that raised it, before the handler's return (strace's order).
    assert.match(lines[delivered - 1], /^tgkill\(\d+, \d+, SIGUSR1\) += 0$/);
    assert.match(lines.slice(delivered + 1).join('\n'), /^rt_sigreturn\(/m);
    assert.is(lines.filter((l) => l === '+++ exited with 0 +++').length, 1, 'the end once, not again at the trace end');
    const killed = path.join(dir, `killed-${name}.trace`);
    await runTracer([...backend, '--format', 'strace', '-o', killed, '--', 'sh', '-c', 'kill -9 $$']);
    const end = fs.readFileSync(killed, 'utf8').split('\n').filter(Boolean).slice(-2);
    // ptrace never sees the exit of the call that killed its caller; the kernel did return
    // from it, and the eBPF programs see that.
    assert.match(end[0], name === 'ptrace' ? /^kill\(\d+, SIGKILL <unfinished \.\.\.>\)$/ : /^kill\(\d+, SIGKILL\) += 0$/);
    assert.is(end[1], '+++ killed by SIGKILL +++', 'no --- SIGKILL --- line: strace never sees one');
  });
}

// Signals the target ignores: the kernel discards them at once (signal_deliver never fires),
// but strace shows them, since a ptraced task never ignores one. Where strace shows them: when
// the thread returns to user mode, after the call it was in. Each exactly once.
for (const [name, backend] of [['ptrace', ['--ptrace']], ['bpf', ['--backend', 'bpf']]]) {
  test(`${name} backend: ignored signals as strace shows them, once, after the call they came in`, async () => {
    const work = fs.mkdtempSync(path.join(dir, `ignored-${name}-`));
    const expectedFile = path.join(work, 'expected');
    const trace = path.join(work, 'trace');
    const run = await runTracer([...backend, '--format', 'strace', '-o', trace, '--', fixture('signal_ignored'), expectedFile]);
    assert.is(run.status, 0, run.stderr);
    // The child's CPU times are whatever it used: not compared.
    const times = (l) => l.replace(/si_utime=\d+, si_stime=\d+( \/\* [\d.]+ s \*\/)?/, 'si_utime=T, si_stime=T');
    const expected = fs.readFileSync(expectedFile, 'utf8').split('\n').filter(Boolean).map(times);
    const lines = fs.readFileSync(trace, 'utf8').split('\n').map(times);
    assert.equal(missingLines(expected, lines), [], lines.join('\n'));
    // The process's own lines (the child's have [pid N]); a call another task's line split
    // ends in its resumed half.
    const pid = /^getpid\(\) += (\d+)$/.exec(expected[0])[1];
    const own = lines.map((l) => /^(?:\[pid +(\d+)\] )?(.*)$/.exec(l)).filter((m) => !m[1] || m[1] === pid).map((m) => m[2]);
    const unpadded = (l) => l.replace(/\) +=( |$)/, ') =$1');
    const endOf = (actual, call) => {
      const resumed = /^<\.\.\. (\w+) resumed>(.*)$/.exec(actual);
      return resumed ? call.startsWith(`${resumed[1]}(`) && unpadded(call).endsWith(unpadded(resumed[2])) : actual === call;
    };
    for (const signal of expected.filter((l) => l.startsWith('--- '))) {
      const at = own.indexOf(signal);
      assert.is(own.filter((l) => l === signal).length, 1, `${signal} once`);
      // SIGURG comes from the receiving end of a loopback packet, which the sending call
      // usually runs but a softirq thread may take over: only its order is checked.
      const call = expected[expected.indexOf(signal) - 1];
      if (!signal.includes('SI_KERNEL')) assert.ok(endOf(own[at - 1], call), `${signal} right after ${call}, not after ${own[at - 1]}`);
    }
  });
}

test('bpf backend: a child\'s end as SIGCHLD with its status', async () => {
  const trace = path.join(dir, 'sigchld.trace');
  const run = await runTracer(['--backend', 'bpf', '-f', '--format', 'strace', '-o', trace, '--', 'sh', '-c', '/bin/true; exit 0']);
  assert.is(run.status, 0, run.stderr);
  const text = fs.readFileSync(trace, 'utf8');
  assert.match(text, /--- SIGCHLD \{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=\d+, si_uid=0, si_status=0, si_utime=\d+, si_stime=\d+( \/\* [\d.]+ s \*\/)?\} ---\n/);
});

for (const [name, backend] of [['ptrace', ['--ptrace']], ['bpf', ['--backend', 'bpf']]]) {
  test(`${name} backend: -f -o FILE starts every line with the pid, as strace writes it ("4242  read(")`, async () => {
    const trace = path.join(dir, `pid-column-${name}.trace`);
    const run = await runTracer([...backend, '-f', '--format', 'strace', '-o', trace, '--', 'sh', '-c', '/bin/true; exit 0']);
    assert.is(run.status, 0, run.stderr);
    const lines = fs.readFileSync(trace, 'utf8').split('\n').filter(Boolean);
    const text = lines.join('\n');
    // From the first line on, while only the shell runs, not only while several tasks do.
    const shell = /^(\d+) +execve\("\/usr\/bin\/sh"/.exec(lines[0]) ?? /^(\d+) +execve\("\/bin\/sh"/.exec(lines[0]);
    assert.ok(shell, text);
    for (const line of lines) assert.match(line, /^\d+ +\S/, `no pid column:\n${text}`);
    for (const line of lines) {
      const [, pid, gap] = /^(\d+)( +)/.exec(line);
      assert.is(pid.length + gap.length, Math.max(6, pid.length + 1), `the pid padded to 5 columns, then one space: ${line}`);
    }
    assert.not.match(text, /\[pid /, 'no [pid N] in a -f -o file');
    const child = lines.find((l) => /^\d+ +execve\("\/bin\/true"/.test(l));
    assert.ok(child && !child.startsWith(`${shell[1]} `), `the child's lines carry its own pid:\n${text}`);
    assert.match(text, new RegExp(`^${shell[1]} +\\+\\+\\+ exited with 0 \\+\\+\\+$`, 'm'));
  });
}

for (const [name, backend] of [['ptrace', ['--ptrace']], ['bpf', ['--backend', 'bpf']]]) {
  test(`${name} backend: -ff files never split a call into unfinished and resumed (strace's)`, async () => {
    const prefix = path.join(dir, `ff-whole-${name}`);
    const run = await runTracer([...backend, '--format', 'strace', '-ff', '-o', prefix, '--', 'sh', '-c', 'sleep 0.2; exit 0']);
    assert.is(run.status, 0, run.stderr);
    const files = fs.readdirSync(dir).filter((f) => f.startsWith(`ff-whole-${name}.`));
    const text = files.map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('');
    assert.match(text, /^clock_nanosleep\(CLOCK_REALTIME, 0, \{tv_sec=0, tv_nsec=200000000\}, 0x[0-9a-f]+\) += 0$/m, text);
    assert.match(text, /^wait4\(-1, \[\{WIFEXITED\(s\) && WEXITSTATUS\(s\) == 0\}\], 0, NULL\) += \d+$/m, text);
    assert.not.match(text, /unfinished|resumed/, text);
  });
}

test.run();
