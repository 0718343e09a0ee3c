// --top on a terminal (tmux, 80x24 then 80x20): each view replaces the last in place, fitted
// to the terminal: nothing scrolls into the history, no line is wider than the terminal.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { TRACER, tempDir, waitFor, debianProgram } = require('../helpers');

const dir = tempDir();
const socket = `bpftrace-ts-top-${process.pid}`;
const CURSOR_HOME = '\x1b[H'; // each view starts there

function tmux(...args) {
  return execFileSync(debianProgram('tmux', 'tmux'), ['-L', socket, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

/** Redraws seen so far in the raw output of the pane. */
function redraws(log) {
  return fs.existsSync(log) ? fs.readFileSync(log, 'latin1').split(CURSOR_HOME).length - 1 : 0;
}

const historySize = () => Number(tmux('display', '-p', '-t', 'top', '#{history_size}').trim());

/** The screen holds one view that fits it, and the history has grown by no line since `history`. */
function checkScreen(columns, rows, history) {
  assert.is(historySize(), history, 'nothing scrolled into the history');
  const screen = tmux('capture-pane', '-p', '-t', 'top').split('\n');
  assert.match(screen[0], /^bpftrace-ts --top /, screen.join('\n'));
  assert.ok(screen.some((l) => /^ {2}SYSCALL /.test(l)) && screen.some((l) => /^ {2}PROCESS /.test(l)), screen.join('\n'));
  for (const line of screen) assert.ok(line.length <= columns, `fits ${columns} columns: ${line}`);
  assert.ok(screen.filter((l) => l.trim()).length < rows, 'fits the rows');
}

test('--top in an 80x24 terminal redraws in place; shrunk to 80x20 it fits again (SIGWINCH)', async () => {
  const log = path.join(dir, 'pane.log');
  tmux('new-session', '-d', '-s', 'top', '-x', '80', '-y', '24', `${TRACER} -a --top -i 0.2`);
  try {
    tmux('pipe-pane', '-t', 'top', '-o', `cat >> ${log}`);
    await waitFor(() => redraws(log) >= 4, 'four views');
    checkScreen(80, 24, 0);
    // Shrinking the window pushes the lines above the cursor into the history (tmux does);
    // the views drawn after it must add none.
    tmux('resize-window', '-t', 'top', '-x', '80', '-y', '20');
    const before = redraws(log);
    await waitFor(() => redraws(log) >= before + 1, 'a view at the new size');
    const history = historySize();
    await waitFor(() => redraws(log) >= before + 4, 'three more views');
    checkScreen(80, 20, history);
  } finally {
    tmux('send-keys', '-t', 'top', 'C-c');
    await waitFor(() => {
      try {
        tmux('has-session', '-t', 'top');
        return false;
      } catch {
        return true; // the tracer ended, and with it the session
      }
    }, 'the tracer to stop').catch(() => tmux('kill-server'));
  }
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
