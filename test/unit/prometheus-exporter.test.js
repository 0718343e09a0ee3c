// The Prometheus exporter (export/prometheus) on its own, on a loopback port: its labels stay
// bounded. A real Prometheus server scraping a real trace: test/e2e/prometheus.test.js.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');

test('comm labels are bounded: past 64 comms, calls are counted under comm="other"', async () => {
  require('../../dist/wire/protobuf-numbers');
  const { PrometheusExporter } = require('../../dist/export/prometheus');
  const exporter = await PrometheusExporter.listen({ host: '127.0.0.1', port: 0 }, 'comm');
  try {
    const rows = Array.from({ length: 100 }, (_, i) => ({ nr: 110, comm: `task${i}`, calls: 2, errors: 0, totalNs: 2000, bucket: [40], bucketCount: [2] }));
    exporter.add({ rows, uncountedCalls: 0 });
    const text = await (await fetch(exporter.url)).text();
    const comms = new Set([...text.matchAll(/^bpftrace_ts_syscall_calls_total\{syscall="getppid",comm="([^"]+)"\} (\d+)$/gm)].map((m) => `${m[1]}=${m[2]}`));
    assert.is(comms.size, 65);
    assert.ok(comms.has('task0=2') && comms.has('task63=2'));
    assert.ok(comms.has(`other=${2 * 36}`));
    assert.is((await fetch(exporter.url.replace('/metrics', '/'))).status, 404);
  } finally {
    await exporter.close();
  }
});

test.run();
