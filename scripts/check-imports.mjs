#!/usr/bin/env node
// Checks that imports point one way: no file imports itself through others (a circle of
// files), and no folder imports itself through other folders (a circle of folders), in
// src/ (TypeScript imports), native/ and bpf/ (#include "..."). Prints each circle with the
// imports that close it; exits 1 when there is one. `--graph` prints every import between
// folders, with how many files make it; `--root DIR` checks another tree laid out the same way.
//   node scripts/check-imports.mjs [--graph] [--root DIR]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const rootAt = process.argv.indexOf('--root');
const ROOT = rootAt > 0 ? path.resolve(process.argv[rootAt + 1]) : path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

function filesUnder(dir, extensions) {
  const found = [];
  if (!fs.existsSync(dir)) return found;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...filesUnder(file, extensions));
    else if (extensions.some((ext) => entry.name.endsWith(ext)) && !entry.name.endsWith('.d.ts')) found.push(file);
  }
  return found;
}

/** TypeScript: relative imports, re-exports and dynamic imports, resolved to .ts files. */
function tsImports(file, text) {
  const imports = [];
  for (const match of text.matchAll(/(?:import|export)\s[^;]*?from\s+'(\.[^']+)'|import\('(\.[^']+)'\)|require\('(\.[^']+)'\)/g)) {
    const base = path.join(path.dirname(file), match[1] ?? match[2] ?? match[3]);
    const target = [`${base}.ts`, path.join(base, 'index.ts'), base.replace(/\.js$/, '.ts')].find((f) => fs.existsSync(f));
    if (target) imports.push(target);
  }
  return imports;
}

/** C and C++: #include "x", found beside the file or from the top folder (native/ is on the include path). */
function cIncludes(top) {
  return (file, text) => {
    const imports = [];
    for (const match of text.matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
      const target = [path.join(path.dirname(file), match[1]), path.join(top, match[1])].find((f) => fs.existsSync(f));
      if (target) imports.push(target);
    }
    return imports;
  };
}

/** Tarjan's strongly connected components of size > 1: every circle's members. */
function circles(graph) {
  let next = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  const visit = (node) => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const to of graph.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node), low.get(to)));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node), index.get(to)));
    }
    if (low.get(node) !== index.get(node)) return;
    const members = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      members.push(member);
    } while (member !== node);
    if (members.length > 1) found.push(members.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

function check(top, extensions, importsOf, showGraph) {
  const topDir = path.join(ROOT, top);
  const relative = (file) => path.relative(ROOT, file);
  const folderOf = (file) => path.dirname(path.relative(topDir, file)).split(path.sep)[0];
  const fileGraph = new Map();
  const folderImports = new Map(); // "a -> b" -> the file imports that make it
  for (const file of filesUnder(topDir, extensions)) {
    const targets = importsOf(file, fs.readFileSync(file, 'utf8'));
    fileGraph.set(relative(file), new Set(targets.map(relative)));
    for (const target of targets) {
      const [from, to] = [folderOf(file), folderOf(target)];
      if (from === to) continue;
      const key = `${from} -> ${to}`;
      folderImports.set(key, [...(folderImports.get(key) ?? []), `${relative(file)} -> ${relative(target)}`]);
    }
  }
  const folderGraph = new Map();
  for (const key of folderImports.keys()) {
    const [from, to] = key.split(' -> ');
    folderGraph.set(from, new Set([...(folderGraph.get(from) ?? []), to]));
  }
  if (showGraph) for (const [key, imports] of [...folderImports].sort()) console.log(`${top}/ ${key} (${imports.length})`);
  let problems = 0;
  for (const members of circles(fileGraph)) {
    problems++;
    console.log(`${top}/: a circle of files: ${members.join(', ')}`);
  }
  for (const members of circles(folderGraph)) {
    problems++;
    console.log(`${top}/: a circle of folders: ${members.join(', ')}; the imports between them:`);
    for (const [key, imports] of folderImports) {
      const [from, to] = key.split(' -> ');
      if (members.includes(from) && members.includes(to)) for (const line of imports) console.log(`  ${line}`);
    }
  }
  return problems;
}

const showGraph = process.argv.includes('--graph');
const problems = check('src', ['.ts'], tsImports, showGraph) +
  check('native', ['.h', '.cc', '.c'], cIncludes(path.join(ROOT, 'native')), showGraph) +
  check('bpf', ['.h', '.c'], cIncludes(path.join(ROOT, 'bpf')), showGraph);
console.log(problems === 0 ? 'imports: no circle of files or folders in src/, native/ and bpf/' : `imports: ${problems} circles`);
process.exit(problems === 0 ? 0 : 1);
