#!/usr/bin/env node
// Before `npm pack`: the local build of the addon becomes the package's prebuild, in
// prebuildify's layout (prebuilds/<platform>-<arch>/node.napi.<libc>.node) that node-gyp-build
// loads. One Node-API binary (NAPI_VERSION in CMakeLists.txt) serves every Node >= 20. Refuses a
// build that needs libbpf, libelf or zlib as shared libraries: the host may have none of them.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const built = path.join(root, 'build', 'Release', 'bpftrace_ts.node');
if (!fs.existsSync(built)) {
  process.stderr.write(`prebuild: ${built} is missing; run npm run build first\n`);
  process.exit(1);
}
const needed = execFileSync('ldd', [built], { encoding: 'utf8' });
const shared = needed.split('\n').filter((line) => /\blib(bpf|elf|z)\.so/.test(line));
if (shared.length > 0) {
  process.stderr.write(`prebuild: ${built} links shared ${shared.map((l) => l.trim().split(' ')[0]).join(', ')}\n`);
  process.exit(1);
}
const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
fs.rmSync(path.join(root, 'prebuilds'), { recursive: true, force: true });
fs.mkdirSync(dir, { recursive: true });
const target = path.join(dir, 'node.napi.glibc.node');
execFileSync('strip', ['--strip-unneeded', '-o', target, built]);
process.stdout.write(`prebuild: ${path.relative(root, target)} (${fs.statSync(target).size} bytes)\n`);
