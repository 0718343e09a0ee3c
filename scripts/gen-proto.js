#!/usr/bin/env node
// Generates the protobuf code for proto/batch.proto and proto/recording.proto with
// protobufjs-cli:
// static JavaScript into dist/generated/ (loaded at run time) and its TypeScript
// declarations into src/generated/ (for type checking). Run by `npm run build`.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const protos = ['batch.proto', 'recording.proto'].map((name) => path.join(root, 'proto', name));
const js = path.join(root, 'dist', 'generated', 'batch.js');
const dts = path.join(root, 'src', 'generated', 'batch.d.ts');

fs.mkdirSync(path.dirname(js), { recursive: true });
execFileSync(bin('pbjs'), ['-t', 'static-module', '-w', 'commonjs', '--force-number', '--no-verify',
  '--no-convert', '--no-delimited', '--no-create', '--no-beautify', '-o', js, ...protos], { stdio: 'inherit' });
// The generated prototypes take their 64-bit defaults from protobufjs's settings when they
// load: the code itself loads src/protobuf-numbers.ts first, whichever module requires it.
const generated = fs.readFileSync(js, 'utf8');
fs.writeFileSync(js, generated.replace(/^("use strict";\n)/m, '$1require("../protobuf-numbers");\n'));
if (!fs.readFileSync(js, 'utf8').includes('require("../protobuf-numbers")')) throw new Error(`gen-proto: no "use strict" line in ${js}`);
execFileSync(bin('pbts'), ['--no-comments', '-o', dts, js], { stdio: 'inherit' });
