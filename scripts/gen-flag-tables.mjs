#!/usr/bin/env node
// Generates src/generated/flag-tables.ts: the symbolic-constant tables (open flags, mmap flags,
// signals, fcntl commands, ...) the argument decoders print, as strace shows them (x86_64 Linux).
//
//   node scripts/gen-flag-tables.mjs [--check]     (--check: fail if the file differs from what it would write)
//
// Inputs:
//   scripts/data/flag-tables.txt   the tables: names, display order, header sets and the values of
//                                  constants newer than the headers (format in its header comment)
//   the system headers it names    every other value: for each header set the generator writes a
//                                  C program that includes the headers and prints each constant,
//                                  compiles it with $CC (default `cc`) in a temporary directory and
//                                  runs it, so values are exactly the headers' (Debian 12: glibc
//                                  2.36, linux-libc-dev 6.1)
//
// Output is deterministic: the same inputs give a byte-identical file.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DATA_TXT = join(ROOT, 'scripts', 'data', 'flag-tables.txt');
const OUT_TS = join(ROOT, 'src', 'generated', 'flag-tables.ts');
const CC = process.env.CC || 'cc';

const MAX_EXACT = 2n ** 53n;
/** The scratch directory while one exists (fail() removes it). */
let scratch;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

function fail(msg) {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  process.stderr.write(`gen-flag-tables: ${msg}\n`);
  process.exit(1);
}
function warn(msg) {
  process.stderr.write(`gen-flag-tables: warning: ${msg}\n`);
}
function rel(p) {
  return p.startsWith(ROOT) ? relative(ROOT, p) : p;
}
function tsString(s) {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

// ---------------------------------------------------------------------------------------------
// The data file

/**
 * @typedef {{ name: string, alias?: string, fallback?: string, line: number }} Entry
 *   alias: NAME=IDENT (value of IDENT); fallback: NAME=EXPR (used if the headers lack NAME)
 * @typedef {{ name: string, kind: 'flags' | 'enum', prefix: string, headers: string[],
 *             entries: Entry[], line: number }} Table
 */

/** @returns {Table[]} */
function readData() {
  if (!existsSync(DATA_TXT)) fail(`missing input ${DATA_TXT}`);
  const lines = readFileSync(DATA_TXT, 'utf8').split('\n');
  /** @type {Table[]} */
  const tables = [];
  /** @type {Table | undefined} */
  let table;
  /** @type {string[]} */
  let headers = [];
  let inIncludeRun = false;
  const names = new Set();

  lines.forEach((raw, i) => {
    const text = raw.replace(/\s+$/, '');
    const where = `${rel(DATA_TXT)}:${i + 1}`;
    if (text === '') {
      table = undefined;
      return;
    }
    if (text.startsWith('#')) return;
    const words = text.split(/\s+/);
    if (words[0] === 'include') {
      if (table) fail(`${where}: include inside table ${table.name} (end the table with a blank line)`);
      if (words.length !== 2 || !/^<[\w./+-]+>$/.test(words[1])) fail(`${where}: expected include <header>`);
      if (!inIncludeRun) headers = [];
      inIncludeRun = true;
      if (headers.includes(words[1])) fail(`${where}: ${words[1]} included twice`);
      headers.push(words[1]);
      return;
    }
    inIncludeRun = false;
    if (words[0] === 'table') {
      if (table) fail(`${where}: table ${words[1]} starts inside table ${table.name} (missing blank line)`);
      const [, name, kind, prefix = '', ...rest] = words;
      if (!name || !IDENT.test(name) || !['flags', 'enum', 'values'].includes(kind) || rest.length) {
        fail(`${where}: expected table NAME flags|enum|values [PREFIX]`);
      }
      if (names.has(name)) fail(`${where}: duplicate table ${name}`);
      if (prefix !== '' && !IDENT.test(prefix)) fail(`${where}: bad prefix ${prefix}`);
      if (headers.length === 0) fail(`${where}: table ${name} has no include lines before it`);
      names.add(name);
      table = { name, kind, prefix, headers, entries: [], line: i + 1 };
      tables.push(table);
      return;
    }
    if (!table) fail(`${where}: "${text}" is outside a table`);
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.+))?$/.exec(text);
    if (!m) fail(`${where}: expected NAME or NAME=VALUE`);
    /** @type {Entry} */
    const entry = { name: m[1], line: i + 1 };
    if (m[2] !== undefined) {
      const value = m[2].trim();
      if (IDENT.test(value)) entry.alias = value;
      else entry.fallback = value;
    }
    if (table.entries.some((e) => e.name === entry.name)) fail(`${where}: ${entry.name} twice in table ${table.name}`);
    table.entries.push(entry);
  });
  for (const t of tables) if (t.entries.length === 0) fail(`${rel(DATA_TXT)}:${t.line}: table ${t.name} is empty`);
  if (tables.length === 0) fail(`${rel(DATA_TXT)}: no tables`);
  return tables;
}

// ---------------------------------------------------------------------------------------------
// Values: one C program per header set

/** The header identifier an entry's value comes from (undefined: fallback only). */
function headerIdent(e) {
  return e.alias ?? e.name;
}

/**
 * @param {Table[]} tables  all with the same headers
 * @param {string} dir      scratch directory
 * @returns {{ header: Map<string, bigint>, fallback: Map<string, bigint> }}
 *   header: identifier -> value for those the headers #define; fallback: "table.NAME" -> value
 */
function evaluate(tables, dir, index) {
  const headers = tables[0].headers;
  const idents = [...new Set(tables.flatMap((t) => t.entries.map(headerIdent)))].sort();
  const src = [
    '/* Written by scripts/gen-flag-tables.mjs: prints the value of each constant. */',
    '#define _GNU_SOURCE',
    ...headers.map((h) => `#include ${h}`),
    '#include <stddef.h>',
    '#include <stdio.h>',
    '',
    'static void p(const char *key, int neg, unsigned long long mag) { printf("%s %d %llu\\n", key, neg, mag); }',
    '#define V(key, x) p(key, (x) < 0, (x) < 0 ? -(unsigned long long)(x) : (unsigned long long)(x))',
    '',
    'int main(void) {',
    ...idents.flatMap((id) => [`#ifdef ${id}`, `  V("h ${id}", ${id});`, '#endif']),
    ...tables.flatMap((t) =>
      t.entries.filter((e) => e.fallback !== undefined).map((e) => `  V("f ${t.name}.${e.name}", (${e.fallback}));`),
    ),
    '  return 0;',
    '}',
    '',
  ].join('\n');
  const cFile = join(dir, `values${index}.c`);
  const exe = join(dir, `values${index}`);
  writeFileSync(cFile, src);
  try {
    execFileSync(CC, ['-std=gnu11', '-Wall', '-Werror', '-o', exe, cFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const out = `${err.stdout ?? ''}${err.stderr ?? ''}`.trim() || String(err.message);
    fail(`${CC} failed on the program for headers ${headers.join(' ')}:\n${out}`);
  }
  const stdout = execFileSync(exe, [], { encoding: 'utf8' });
  const header = new Map();
  const fallback = new Map();
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const m = /^([hf]) (\S+) ([01]) (\d+)$/.exec(line);
    if (!m) fail(`unexpected output line from the C program: ${line}`);
    const v = m[3] === '1' ? -BigInt(m[4]) : BigInt(m[4]);
    (m[1] === 'h' ? header : fallback).set(m[2], v);
  }
  return { header, fallback };
}

/** @returns {Map<string, {name: string, value: bigint, fromHeaders: boolean}[]>} table name -> resolved entries */
function resolve(tables) {
  const groups = new Map();
  for (const t of tables) {
    const key = t.headers.join(' ');
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(t);
  }
  const dir = mkdtempSync(join(tmpdir(), 'gen-flag-tables-'));
  scratch = dir;
  const resolved = new Map();
  try {
    [...groups.values()].forEach((group, gi) => {
      const { header, fallback } = evaluate(group, dir, gi);
      for (const t of group) {
        const entries = t.entries.map((e) => {
          const where = `${rel(DATA_TXT)}:${e.line}`;
          if (e.alias !== undefined) {
            if (!header.has(e.alias)) fail(`${where}: ${e.alias} (for ${e.name}) is not defined by ${t.headers.join(' ')}`);
            return { name: e.name, value: header.get(e.alias), fromHeaders: true };
          }
          const h = header.get(e.name);
          if (e.fallback === undefined) {
            if (h === undefined) {
              fail(`${where}: ${e.name} is not defined by ${t.headers.join(' ')}; give its value as ${e.name}=VALUE`);
            }
            return { name: e.name, value: h, fromHeaders: true };
          }
          const f = fallback.get(`${t.name}.${e.name}`);
          if (f === undefined) fail(`${where}: no value printed for ${e.name}=${e.fallback}`);
          if (h !== undefined && h !== f) {
            fail(`${where}: ${e.name}=${e.fallback} is ${f}, but the headers define ${e.name} as ${h}`);
          }
          if (h !== undefined) warn(`${where}: ${e.name} is now in the headers; its =VALUE can go`);
          return { name: e.name, value: f, fromHeaders: h !== undefined };
        });
        resolved.set(t.name, entries);
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
    scratch = undefined;
  }
  return resolved;
}

function check(tables, resolved) {
  const valueNames = new Map();
  for (const t of tables) {
    const seen = new Map();
    t.entries.forEach((e, i) => {
      const { value } = resolved.get(t.name)[i];
      const where = `${rel(DATA_TXT)}:${e.line}`;
      if (t.kind === 'values') {
        // One namespace for every values table: KERNEL_VALUES.NAME.
        if (valueNames.has(e.name)) fail(`${where}: ${e.name} is also in values table ${valueNames.get(e.name)}`);
        valueNames.set(e.name, t.name);
        if (value <= -MAX_EXACT || value >= MAX_EXACT) fail(`${where}: ${e.name} = ${value} is outside (-2^53, 2^53)`);
        return;
      }
      // Enumerations may hold negative values (RUSAGE_CHILDREN = -1), decoded from a C int.
      const min = t.kind === 'enum' ? -MAX_EXACT : 0n;
      if (value < min || value >= MAX_EXACT) fail(`${where}: ${e.name} = ${value} is outside [${t.kind === 'enum' ? '-2^53' : '0'}, 2^53)`);
      if (t.kind === 'flags' && (value === 0n || (value & (value - 1n)) !== 0n)) {
        fail(`${where}: ${e.name} = 0x${value.toString(16)} in flags table ${t.name} is not a single bit`);
      }
      if (seen.has(value)) fail(`${where}: ${e.name} has the value of ${seen.get(value)} (${value}) in table ${t.name}`);
      seen.set(value, e.name);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Emitting

function literal(kind, value) {
  if (kind !== 'flags' && value < 0x1000n) return value.toString(10);
  return `0x${value.toString(16).toUpperCase()}`;
}

function emit(tables, resolved) {
  const headerSets = [...new Set(tables.map((t) => t.headers.join(' ')))];
  const out = [
    `// Generated by scripts/gen-flag-tables.mjs from ${rel(DATA_TXT)} and the system headers; do not edit.`,
    ...headerSets.map((h) => `// Headers: ${h}`),
    '// Values are the headers\' (printed by a compiled C program), except entries listed as "not in the',
    '// headers", whose values come from the data file.',
    '',
    'export interface FlagTable {',
    "  readonly kind: 'flags' | 'enum';",
    '  /** The prefix perf trace leaves out ("O_"), \'\' if none. */',
    '  readonly prefix: string;',
    '  /** [name, value] in display order. Values are exact integers (clone3\'s 64-bit flags: below 2^53). */',
    '  readonly entries: readonly (readonly [string, number])[];',
    '}',
    '',
    'export const FLAG_TABLES = {',
  ];
  for (const t of tables.filter((table) => table.kind !== 'values')) {
    const entries = resolved.get(t.name);
    const missing = entries.filter((e) => !e.fromHeaders).map((e) => e.name);
    if (missing.length) out.push(`  // not in the headers: ${missing.join(', ')}`);
    out.push(
      `  ${t.name}: {`,
      `    kind: ${tsString(t.kind)}, prefix: ${tsString(t.prefix)},`,
      `    entries: [${entries.map((e) => `[${tsString(e.name)}, ${literal(t.kind, e.value)}]`).join(', ')}],`,
      '  },',
    );
  }
  out.push(
    '} as const satisfies Record<string, FlagTable>;',
    '',
    'export type FlagTableName = keyof typeof FLAG_TABLES;',
    '',
    '/** Single values of the kernel\'s ABI the decoders and the descriptor table compute with. */',
    'export const KERNEL_VALUES = {',
  );
  for (const t of tables.filter((table) => table.kind === 'values')) {
    const entries = resolved.get(t.name);
    // sizeof() and offsetof() are computed from the headers; a bare number is the data file's.
    const given = t.entries.filter((e) => e.fallback !== undefined && /^-?(0x[0-9a-f]+|\d+)$/i.test(e.fallback)).map((e) => e.name);
    out.push(`  // ${t.name}${given.length ? `; values given by the data file (inside the kernel only): ${given.join(', ')}` : ''}`);
    for (const e of entries) out.push(`  ${e.name}: ${literal(t.kind, e.value)},`);
  }
  out.push('} as const;', '');
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------

function main(argv) {
  const checkOnly = argv[0] === '--check';
  if (argv.length > (checkOnly ? 1 : 0)) fail(`unknown argument(s) ${argv.join(' ')}; usage: gen-flag-tables.mjs [--check]`);
  const tables = readData();
  const resolved = resolve(tables);
  check(tables, resolved);
  const text = emit(tables, resolved);
  if (checkOnly) {
    if (!existsSync(OUT_TS) || readFileSync(OUT_TS, 'utf8') !== text) fail(`${rel(OUT_TS)} is not what the data file and the headers give: run node scripts/gen-flag-tables.mjs`);
    return;
  }
  mkdirSync(dirname(OUT_TS), { recursive: true });
  writeFileSync(OUT_TS, text);
  const total = tables.reduce((n, t) => n + t.entries.length, 0);
  process.stderr.write(`gen-flag-tables: ${tables.length} tables, ${total} entries -> ${rel(OUT_TS)}\n`);
}

main(process.argv.slice(2));
