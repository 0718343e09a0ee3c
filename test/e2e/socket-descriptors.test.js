// -yy: what a socket descriptor is does not depend on which calls -e shows, nor on whether
// the socket was made before the tracer attached (-p), as strace -yy shows it.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { spawn } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');
const { runTracer, waitFor } = require('../helpers');

const PYTHON = '/usr/bin/python3';
const SERVER = path.join(__dirname, '..', 'fixtures', 'tcp_server.py');

/** Three loopback connections to port, one after the other, each sending "ping" and held
 * open once answered; resolves with them (end them to let the server finish). */
async function connectThrice(port) {
  const sockets = [];
  for (let i = 0; i < 3; i++) {
    sockets.push(await new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write('ping'));
      socket.once('data', () => resolve(socket));
      socket.on('error', reject);
    }));
  }
  return sockets;
}

/** The accept4 results and recvfrom descriptors in a perf-format trace. */
function socketLines(trace, port) {
  const ends = new RegExp(`<TCP:\\[127\\.0\\.0\\.1:${port}->127\\.0\\.0\\.1:\\d+\\]>`);
  const accepts = trace.split('\n').filter((l) => / accept4\(/.test(l) && / = /.test(l)); // finished
  const reads = trace.split('\n').filter((l) => / recvfrom\(fd:/.test(l)); // with their arguments
  return { accepts, reads, ends };
}

test('-yy -p on a running server, through three connections: every accepted socket and every read on it shows its TCP ends', async () => {
  const server = spawn(PYTHON, [SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  let port = 0;
  server.stdout.on('data', (d) => (port ||= Number(String(d).trim())));
  await waitFor(() => port > 0, 'the server to listen');
  let attached = false;
  let shown = '';
  const tracing = runTracer(['-yy', '-p', String(server.pid)], {
    started: (child) => {
      child.stderr.on('data', (d) => (attached ||= String(d).includes('attached')));
      child.stdout.on('data', (d) => (shown += d));
    },
  });
  await waitFor(() => attached, 'the tracer to attach');
  // The connections stay open until their reads were shown (so the first one, accepted by
  // a call in progress at the attach, can be found in /proc as strace finds it).
  const sockets = await connectThrice(port);
  await waitFor(() => (shown.match(/ recvfrom\(/g) ?? []).length >= 3, 'the three reads to be shown');
  for (const socket of sockets) socket.end();
  const run = await tracing; // ends with the server
  assert.is(run.status, 0, run.stderr);
  const { accepts, reads, ends } = socketLines(run.stdout, port);
  assert.is(accepts.length, 3, run.stdout);
  for (const line of accepts) {
    // (the accept in progress at the attach shows its arguments on the line announcing it)
    if (!line.includes('[continued]')) assert.match(line, new RegExp(`accept4\\(fd: 3<TCP:\\[127\\.0\\.0\\.1:${port}\\]>`), 'the listening socket, made before the attach');
    assert.match(line, new RegExp(`\\) = \\d+${ends.source}$`), line);
  }
  assert.ok(reads.length >= 3, run.stdout); // each "ping", then each end of file
  assert.ok(run.stdout.includes(`accept4(fd: 3<TCP:[127.0.0.1:${port}]>`), 'the listening socket, made before the attach');
  for (const line of reads) assert.match(line, new RegExp(`recvfrom\\(fd: \\d+${ends.source}`), line);
});

test('-yy -e accept4,recvfrom,close,sendto on a launched server: the sockets keep their ends, and only those calls are shown', async () => {
  let port = 0;
  const tracing = runTracer(['-yy', '-e', 'accept4,recvfrom,close,sendto', '--', PYTHON, SERVER], {
    started: (child) => child.stdout.on('data', (d) => {
      const m = /^(\d+)$/m.exec(String(d));
      if (m) port ||= Number(m[1]);
    }),
  });
  await waitFor(() => port > 0, 'the server to listen');
  for (const socket of await connectThrice(port)) socket.end();
  const run = await tracing;
  assert.is(run.status, 0, run.stderr);
  const { accepts, reads, ends } = socketLines(run.stdout, port);
  assert.is(accepts.length, 3, run.stdout);
  for (const line of accepts) assert.match(line, new RegExp(`\\) = \\d+${ends.source}$`), line);
  for (const line of reads) assert.match(line, new RegExp(`recvfrom\\(fd: \\d+${ends.source}`), line);
  const shown = new Set([...run.stdout.matchAll(/^ *[\d.]+ \([ \d.ms]+\): \S+ (\w+)\(/gm)].map((m) => m[1]));
  assert.equal([...shown].sort(), ['accept4', 'close', 'recvfrom', 'sendto'], 'the calls traced for the table are not shown');
});

test('-yy after a non-blocking connect (EINPROGRESS): the socket shows its peer', async () => {
  const listener = net.createServer((socket) => socket.on('data', () => socket.end()));
  await new Promise((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address();
  try {
    const run = await runTracer(['-yy', '-e', 'connect,sendto', '--', PYTHON, path.join(__dirname, '..', 'fixtures', 'nonblocking_connect.py'), String(port)]);
    assert.is(run.status, 0, run.stderr);
    const connect = run.stdout.split('\n').find((l) => / connect\(/.test(l) && /EINPROGRESS/.test(l));
    assert.ok(connect, run.stdout);
    const send = run.stdout.split('\n').find((l) => / sendto\(/.test(l));
    assert.match(send, new RegExp(`sendto\\(fd: \\d+<TCP:\\[(127\\.0\\.0\\.1:\\d+)?->127\\.0\\.0\\.1:${port}\\]>`), send);
  } finally {
    listener.close();
  }
});

test.run();
