// Imports point one way: scripts/check-imports.mjs finds no circle of files or of folders in
// src/, native/ and bpf/ (docs/design.md, "Where things are"), and it does find one.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const CHECK = path.join(__dirname, '..', '..', 'scripts', 'check-imports.mjs');
const check = (...args) => spawnSync(process.execPath, [CHECK, ...args], { encoding: 'utf8' });

test('no circle of files or folders in src/, native/ and bpf/', () => {
  const run = check();
  assert.is(run.status, 0, run.stdout + run.stderr);
});

test('a circle of folders and one of files are found, with the imports that close them', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bpftrace-ts-imports-'));
  try {
    const write = (file, text) => {
      fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      fs.writeFileSync(path.join(root, file), text);
    };
    write('src/render/lines.ts', "import type { Options } from '../cli/options';\nexport const lines = 1;\n");
    write('src/cli/options.ts', "import { lines } from '../render/lines';\nexport interface Options { n: number }\n");
    write('native/encode/a.h', '#include "encode/b.h"\n');
    write('native/encode/b.h', '#include "a.h"\n');
    const run = check('--root', root);
    assert.is(run.status, 1, run.stdout);
    assert.match(run.stdout, 'src/: a circle of folders: cli, render');
    assert.match(run.stdout, 'src/render/lines.ts -> src/cli/options.ts');
    assert.match(run.stdout, 'native/: a circle of files: native/encode/a.h, native/encode/b.h');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test.run();
