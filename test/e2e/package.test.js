// The npm package: `npm pack`, installed with install scripts off, no network and a PATH of only
// node, npm and coreutils, traces with the eBPF backend; its addon needs no libbpf, libelf or zlib.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, tempDir, readJson, summary } = require('../helpers');

const dir = tempDir();
const FILE_SIZE = 4321;
const file = path.join(dir, 'known-file');
fs.writeFileSync(file, Buffer.alloc(FILE_SIZE, 'p'));

/** A directory of symlinks to node, npm and the coreutils programs: a host without a compiler. */
function bareBin() {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  const coreutils = execFileSync('dpkg-query', ['-L', 'coreutils'], { encoding: 'utf8' })
    .split('\n').filter((p) => /^(\/usr)?\/bin\/[^/]+$/.test(p));
  const npm = execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim();
  for (const program of [...coreutils, npm]) fs.symlinkSync(program, path.join(bin, path.basename(program)));
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  return bin;
}

test('the packed tarball installs offline without scripts or build tools, and traces cat with eBPF', () => {
  // prepack (the build) writes to the same stdout before npm's JSON.
  const output = execFileSync('npm', ['pack', '--json', '--pack-destination', dir],
    { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
  const packed = JSON.parse(output.slice(output.search(/^\[$/m)))[0];
  const files = packed.files.map((f) => f.path);
  assert.ok(files.includes('prebuilds/linux-x64/node.napi.glibc.node'), 'the prebuilt addon is packed');
  assert.ok(files.includes('dist/bpftrace-ts.js'), 'the compiled JavaScript is packed, in one file');
  assert.equal(files.filter((f) => f.startsWith('dist/')), ['dist/bpftrace-ts.js'], 'the bundle alone: the command loads nothing else of dist/');
  const strays = files.filter((f) => /^(test|scripts|bpf|native|src|proto|\.ci|build)\//.test(f));
  assert.equal(strays, [], 'nothing a user does not run');

  const bin = bareBin();
  for (const tool of ['cc', 'gcc', 'clang', 'cmake', 'make', 'bpftool', 'g++', 'ldd'])
    assert.not.ok(fs.existsSync(path.join(bin, tool)), `${tool} is not on the install's PATH`);
  const prefix = path.join(dir, 'prefix');
  const env = { HOME: dir, PATH: bin, npm_config_offline: 'true', npm_config_update_notifier: 'false' };
  const install = spawnSync('npm', ['install', '-g', '--prefix', prefix, '--ignore-scripts', '--no-audit', '--no-fund',
    '--cache', path.join(dir, 'empty-cache'), path.join(dir, packed.filename)], { env, encoding: 'utf8', timeout: 120000 });
  assert.is(install.status, 0, `npm install: ${install.stderr}`);

  const addon = path.join(prefix, 'lib', 'node_modules', 'bpftrace-ts', 'prebuilds', 'linux-x64', 'node.napi.glibc.node');
  const needed = execFileSync('ldd', [addon], { encoding: 'utf8' });
  assert.ok(/libc\.so/.test(needed), 'ldd read the addon');
  assert.not.ok(/lib(bpf|elf|z)\.so/.test(needed), `the addon needs no shared libbpf, libelf or zlib:\n${needed}`);

  const out = path.join(dir, 'cat.json');
  const run = spawnSync(path.join(prefix, 'bin', 'bpftrace-ts'), ['--format', 'json', '-o', out, '--', 'cat', file],
    { env: { PATH: bin }, encoding: 'utf8', timeout: 60000 });
  assert.is(run.status, 0, run.stderr);
  assert.is.not(summary(run.stderr).attachMode, 'ptrace', 'the eBPF backend traced');
  const calls = readJson(out);
  assert.is(calls[0].syscall, 'execve');
  assert.is(calls[0].comm, 'cat');
  const read = calls.find((c) => c.syscall === 'read' && c.ret === FILE_SIZE);
  assert.ok(read, 'the file is read whole');
  assert.ok(calls.some((c) => c.syscall === 'openat' && c.ret === read.args.fd), 'openat returned the fd that is read');
  assert.ok(calls.some((c) => c.syscall === 'write' && c.args.fd === 1 && c.ret === FILE_SIZE), 'and written to stdout');
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
