// The BPF object is one translation unit made of headers (bpf/*.bpf.h), each of which says
// what it needs by including it. A header that only compiles because something it uses
// happened to be defined above its #include fails here, on its own, instead of breaking
// the day the includes are reordered. Compiled as the build compiles the object (CMakeLists.txt).
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const BPF = path.join(__dirname, '..', '..', 'bpf');
// syscall_event.h is the layout shared with native/: its fixed-width types come from the
// includer (vmlinux.h here, <linux/types.h> there), so it is compiled after vmlinux.h.
const SHARED_WITH_NATIVE = { 'syscall_event.h': ['vmlinux.h'] };

/** Resolves with clang's exit status and diagnostics for a file that includes only header. */
function compileAlone(header) {
  const source = [...(SHARED_WITH_NATIVE[header] ?? []), header].map((h) => `#include "${h}"\n`).join('');
  return new Promise((resolve, reject) => {
    const clang = spawn('clang', ['-O2', '-Wall', '-target', 'bpf', '-D__TARGET_ARCH_x86',
      `-I/usr/include/${os.machine()}-linux-gnu`, `-I${BPF}`, '-fsyntax-only', '-ferror-limit=3', '-x', 'c', '-'],
    { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    clang.stderr.setEncoding('utf8').on('data', (chunk) => { stderr += chunk; });
    clang.on('error', (error) => reject(new Error(`clang (needed to build the BPF object): ${error.message}`)));
    clang.on('close', (status) => resolve({ header, status, stderr }));
    clang.stdin.end(source);
  });
}

test('every header in bpf/ compiles on its own, without warnings', async () => {
  const headers = fs.readdirSync(BPF).filter((name) => name.endsWith('.h')).sort();
  const runs = await Promise.all(headers.map(compileAlone));
  const failures = runs.filter((run) => run.status !== 0 || run.stderr.trim() !== '');
  assert.equal(failures.map((run) => `${run.header}:\n${run.stderr}`), []);
});

test.run();
