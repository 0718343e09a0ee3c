// A live trace with what it also writes or serves: a recording (--record), a Perfetto
// trace (--perfetto), Prometheus metrics (--prometheus), open for the length of the trace.
import { runLiveTrace, type LiveTraceOptions } from '../pipeline/live-trace';
import { UsageError } from '../user-errors';

export interface LiveExports {
  record?: string;
  perfetto?: string;
  prometheus?: string;
  /** -i as given: without it, --prometheus takes a snapshot every second and prints none. */
  interval?: string;
}

export async function runLive(exports: LiveExports, options: LiveTraceOptions, argv: readonly string[]): Promise<number> {
  const aggregate = options.aggregate;
  if (exports.prometheus !== undefined) {
    if (aggregate?.view !== 'hist') throw new UsageError('--prometheus goes with --hist');
    if (aggregate.by === 'pid') throw new UsageError('--prometheus labels by syscall or comm, not pid (a series per process is not bounded)');
    if (exports.interval === undefined) Object.assign(aggregate, { intervalMs: 1000, silent: true });
  }
  if (exports.perfetto !== undefined && aggregate) throw new UsageError('--perfetto shows streamed calls, not --summary-only or --hist');
  // Loaded only when asked for (prom-client is a quarter of the tracer's module loading; the
  // recording's and Perfetto's writers bring zlib and crypto).
  const prometheus = exports.prometheus !== undefined ? await import('../export/prometheus') : undefined;
  const address = prometheus && exports.prometheus !== undefined ? prometheus.parseListenAddress(exports.prometheus) : undefined;
  if (exports.record !== undefined) options.record = (await import('./record')).openRecording(exports.record, options, argv);
  if (exports.perfetto !== undefined)
    options.exports = [(await import('../export/perfetto')).PerfettoExport.create(exports.perfetto, { stringLimit: options.stringLimit, hex: options.hex })];
  if (!prometheus || !address) return runLiveTrace(options);
  const exporter = await prometheus.PrometheusExporter.listen(address, aggregate?.by === 'comm' ? 'comm' : 'syscall');
  options.onAggregate = (snapshot) => exporter.add(snapshot);
  process.stderr.write(`bpftrace-ts: serving Prometheus metrics on ${exporter.url}\n`);
  try {
    return await runLiveTrace(options);
  } finally {
    await exporter.close();
  }
}
