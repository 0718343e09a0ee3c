// --prometheus: a real Prometheus server scrapes the tracer's /metrics, and PromQL returns
// the calls of a fixture that made a known number of them.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { debianProgram, fixture, tempDir, runTracer, waitFor } = require('../helpers');

const dir = tempDir();

/** A loopback port that was free a moment ago. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function promql(port, query) {
  const response = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = await response.json();
  assert.is(body.status, 'success', JSON.stringify(body));
  return body.data.result;
}

test('Prometheus scrapes -a --hist --hist-by comm: PromQL returns the fixture\'s call count and latency histogram', async () => {
  const prometheus = debianProgram('prometheus', 'prometheus');
  // A name of its own, so calls of any other storm on this host are not counted.
  const comm = `prom${process.pid}`.slice(0, 15);
  const storm = path.join(dir, comm);
  fs.copyFileSync(fixture('storm'), storm);
  fs.chmodSync(storm, 0o755);
  const CALLS = 3000;

  let tracer;
  let stderr = '';
  const run = runTracer(['-a', '--hist', '--hist-by', 'comm', '-e', 'getppid', '--comm', comm, '--prometheus', '127.0.0.1:0'], {
    started: (child) => {
      tracer = child;
      child.stderr.on('data', (d) => (stderr += d));
    },
  });
  let server;
  try {
    await waitFor(() => /serving Prometheus metrics on http:\/\/127\.0\.0\.1:\d+\/metrics/.test(stderr), 'the metrics endpoint');
    const target = /http:\/\/(127\.0\.0\.1:\d+)\/metrics/.exec(stderr)[1];
    const port = await freePort();
    const config = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(config, `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: bpftrace-ts\n    static_configs:\n      - targets: ['${target}']\n`);
    server = spawn(prometheus, [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    const ready = async () => (await fetch(`http://127.0.0.1:${port}/-/ready`).catch(() => ({ ok: false }))).ok;
    let isReady = false;
    await waitFor(() => {
      ready().then((ok) => (isReady = ok));
      return isReady;
    }, 'Prometheus to start', 30000);

    const child = spawn(storm, [String(CALLS)]);
    assert.is(await new Promise((resolve) => child.on('exit', resolve)), 0);

    const series = `{job="bpftrace-ts",syscall="getppid",comm="${comm}"}`;
    let calls = [];
    await waitFor(() => {
      promql(port, `bpftrace_ts_syscall_calls_total${series}`).then((r) => (calls = r), () => {});
      return calls.length === 1 && Number(calls[0].value[1]) === CALLS;
    }, `a scrape with all ${CALLS} calls`, 30000);
    assert.is(calls[0].metric.instance, target);
    const [histogramCount] = await promql(port, `bpftrace_ts_syscall_latency_seconds_count${series}`);
    assert.is(Number(histogramCount.value[1]), CALLS);
    const [errors] = await promql(port, `bpftrace_ts_syscall_errors_total${series}`);
    assert.is(Number(errors.value[1]), 0);
    const [median] = await promql(port, `histogram_quantile(0.5, bpftrace_ts_syscall_latency_seconds_bucket${series})`);
    assert.ok(Number(median.value[1]) > 0 && Number(median.value[1]) < 0.01, `getppid's median latency: ${median.value[1]} s`);
  } finally {
    if (server) {
      server.kill('SIGTERM');
      await new Promise((resolve) => (server.exitCode !== null ? resolve() : server.on('exit', resolve)));
    }
    tracer.kill('SIGINT');
  }
  const result = await run;
  assert.is(result.status, 0, result.stderr);
  assert.match(result.stderr, new RegExp(`bpftrace-ts: ${CALLS} calls counted in the kernel, 0 not counted`));
});

const badInputs = [
  [['-a', '--prometheus', '9464'], /--prometheus goes with --hist/],
  [['-a', '--hist', '--hist-by', 'pid', '--prometheus', '9464'], /--prometheus labels by syscall or comm, not pid/],
  [['-a', '--hist', '--prometheus', 'localhost:99999'], /--prometheus takes \[HOST:\]PORT/],
];
for (const [args, message] of badInputs) {
  test(`bad input: ${args.join(' ')}`, async () => {
    const run = await runTracer(args);
    assert.is(run.status, 2, run.stderr);
    assert.match(run.stderr, message);
    assert.is(run.stderr.trim().split('\n').length, 1);
  });
}

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
