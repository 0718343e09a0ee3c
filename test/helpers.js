// Shared by the tests: builds the C fixtures, runs the tracer, reads its traces.
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
// The command under test: this checkout's, or one installed from the packed tarball (the kernel
// matrix's VMs install it, as a user would, and set this variable).
const TRACER = process.env.BPFTRACE_TS_UNDER_TEST || path.join(ROOT, 'bin', 'bpftrace-ts');
const FIXTURE_BUILD = path.join(ROOT, 'test', 'build');

/** Compiler flags of a fixture whose stacks are walked (-k): frame pointers, no inlining. */
const STACK_CFLAGS = ['-O0', '-fno-omit-frame-pointer'];

/** Compiles test/fixtures/NAME.c once per change (with -O2, or these flags); returns the binary's path. */
function fixture(name, cflags = ['-O2']) {
  const source = path.join(__dirname, 'fixtures', `${name}.c`);
  const binary = path.join(FIXTURE_BUILD, name);
  fs.mkdirSync(path.dirname(binary), { recursive: true });
  if (!fs.existsSync(binary) || fs.statSync(binary).mtimeMs < fs.statSync(source).mtimeMs)
    execFileSync('cc', [...cflags, '-Wall', '-pthread', '-o', binary, source]);
  return binary;
}

function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'bpftrace-ts-test-'));
}

/**
 * Starts the tracer; resolves when it exits with {status, signal, stdout, stderr}.
 * `started` (optional) is called with the child process right after spawn; `wrapper`
 * (optional) is a command line that runs the tracer (e.g. setpriv ... to drop capabilities).
 */
function runTracer(args, { timeoutMs = 60000, started, env, wrapper = [] } = {}) {
  return new Promise((resolve, reject) => {
    const [file, ...rest] = [...wrapper, TRACER, ...args];
    const child = spawn(file, rest, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tracer timed out: ${args.join(' ')}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
    if (started) started(child);
  });
}

/** The JSON Lines trace in file, parsed. */
function readJson(file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

/** Resolves once predicate() is true, checking every 20 ms; rejects after timeoutMs. */
function waitFor(predicate, what, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = () => {
      let ok = false;
      try { ok = predicate(); } catch { ok = false; }
      if (ok) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(check, 20);
    };
    check();
  });
}

/** The summary line's numbers: "bpftrace-ts: 12 events, 0 lost, backend bpf (tp_btf)", or
 * "backend ptrace" (attachMode 'ptrace'). */
function summary(stderr) {
  const m = /bpftrace-ts: (\d+) events, (\d+) lost, backend (?:bpf \((\w+)\)|ptrace)/.exec(stderr);
  if (!m) throw new Error(`no summary line in: ${stderr}`);
  return { events: Number(m[1]), lost: Number(m[2]), attachMode: m[3] ?? 'ptrace' };
}

/** The lines of `expected` missing from `trace` (arrays of lines), matching in order. */
function missingLines(expected, trace) {
  // The corpus programs write strace's lines as a trace without -f shows them; ours follows
  // children, and while another task runs a line starts with [pid N], whose presence depends on
  // when the tracer learned of that task (the prefix is tested on its own).
  // Likewise a call split into <unfinished ...> and <... resumed> when another task's line came
  // between is joined again: where a line is split depends on timing, not on decoding. The
  // padding before " = " differs between a whole line and a resumed one, so it is not compared.
  const joined = [];
  const open = new Map(); // pid -> its unfinished call: index in joined, syscall name
  for (const raw of trace) {
    const [, pid = '', line] = /^(?:\[pid +(\d+)\] )?(.*)$/.exec(raw);
    // A line begun while one task was alive has no prefix; it may resume with one, and the
    // other way round: then the open call of the same name is the one resumed.
    const resumed = /^<\.\.\. (\w+) resumed>(.*)$/.exec(line);
    const key = !resumed ? undefined
      : open.has(pid) ? pid : [...open.keys()].find((k) => (k === '' || pid === '') && open.get(k).name === resumed[1]);
    if (resumed && key !== undefined) {
      joined[open.get(key).at] += resumed[2];
      open.delete(key);
    } else if (line.endsWith(' <unfinished ...>')) {
      open.set(pid, { at: joined.length, name: /^(\w+)\(/.exec(line)?.[1] });
      joined.push(line.slice(0, -' <unfinished ...>'.length));
    } else {
      joined.push(line);
    }
  }
  const unpadded = (line) => line.replace(/\) +=( |$)/, ') =$1');
  trace = joined.map(unpadded);
  expected = expected.map(unpadded);
  const missing = [];
  let at = 0;
  for (const line of expected) {
    const found = trace.indexOf(line, at);
    if (found < 0) missing.push(line);
    else at = found + 1;
  }
  return missing;
}

/** The path of a program from a Debian package, installed first if it is missing. */
function debianProgram(program, pkg) {
  const find = () => execFileSync('sh', ['-c', `command -v ${program} || true`], { encoding: 'utf8' }).trim();
  if (!find()) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], { stdio: 'ignore', env });
  }
  const found = find();
  if (!found) throw new Error(`${program} is not installed and apt-get could not install ${pkg}`);
  return found;
}

/** The ids of the BPF programs, maps and links a process holds, from its fds' fdinfo. */
function bpfObjectsOf(pid) {
  const held = { prog: new Set(), map: new Set(), link: new Set() };
  for (const fd of fs.readdirSync(`/proc/${pid}/fdinfo`)) {
    let info;
    try {
      info = fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
    } catch {
      continue; // closed meanwhile
    }
    for (const kind of Object.keys(held)) {
      const id = new RegExp(`^${kind}_id:\\s+(\\d+)$`, 'm').exec(info);
      if (id) held[kind].add(Number(id[1]));
    }
  }
  return held;
}

/** Ids of the kernel's BPF objects of one kind (prog, map, link) now. */
function loadedIds(kind) {
  return new Set(JSON.parse(execFileSync('bpftool', [kind, 'show', '-j'], { encoding: 'utf8' })).map((o) => o.id));
}

/** Those of held (from bpfObjectsOf) still in the kernel, as "prog 123". */
function stillLoaded(held) {
  return Object.entries(held).flatMap(([kind, ids]) => {
    const loaded = loadedIds(kind);
    return [...ids].filter((id) => loaded.has(id)).map((id) => `${kind} ${id}`);
  });
}

module.exports = { ROOT, TRACER, STACK_CFLAGS, fixture, tempDir, runTracer, readJson, waitFor, summary, missingLines, debianProgram, bpfObjectsOf, stillLoaded };
