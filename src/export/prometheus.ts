// --prometheus: serves /metrics in the Prometheus text format (prom-client) from the
// kernel's --hist tables: calls and errors per syscall as counters, latency as a histogram,
// and with --hist-by comm a comm label of bounded cardinality. Each interval's aggregate
// is added to the totals, so the series only grow, as Prometheus counters must.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Registry, type Metric } from 'prom-client';
import type { Aggregate, AggregateRow } from '../wire/batch-decoder';
import { bucketBounds } from '../aggregate/latency-buckets';
import { syscallName } from '../syscalls/syscall-table';
import { UsageError, UserError } from '../user-errors';

/** Histogram bounds: powers of two from 2^10 ns (1 us) to 2^34 ns (17 s). Each fine bucket of
 * src/aggregate/latency-buckets.ts lies within one power of two, so it counts exactly under one bound. */
const FIRST_POWER = 10;
const LAST_POWER = 34;
const LE_SECONDS = Array.from({ length: LAST_POWER - FIRST_POWER + 1 }, (_, i) => 2 ** (FIRST_POWER + i) / 1e9);
/** Distinct comm label values at most; later comms are counted as "other". */
const MAX_COMM_LABELS = 64;
const OTHER_COMM = 'other';

export type PrometheusLabels = 'syscall' | 'comm';

/** "9464", "127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464": loopback when no host is given. */
export function parseListenAddress(text: string): { host: string; port: number } {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]+):)?(\d{1,5})$/.exec(text);
  const port = Number(m?.[2]);
  if (!m || port > 65535) throw new UsageError(`--prometheus takes [HOST:]PORT (0: any free port), not '${text}'`);
  return { host: (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, ''), port };
}

interface Series {
  labels: Record<string, string>;
  cumulative: Float64Array; // per bound in LE_SECONDS, not yet cumulative: summed on output
  count: number;
  sumNs: number;
}

/** The latency histogram, fed whole kernel rows (prom-client's Histogram observes one value at a time). */
class LatencyHistogram {
  readonly name = 'bpftrace_ts_syscall_latency_seconds';
  readonly help = 'Syscall latency, entry to exit';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  add(labels: Record<string, string>, row: AggregateRow): void {
    const key = JSON.stringify(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels, cumulative: new Float64Array(LE_SECONDS.length), count: 0, sumNs: 0 };
      this.series.set(key, s);
    }
    s.count += row.calls ?? 0;
    s.sumNs += row.totalNs ?? 0;
    const buckets = row.bucket ?? [];
    const counts = row.bucketCount ?? [];
    for (let i = 0; i < buckets.length; i++) {
      const upper = bucketBounds(buckets[i])[1];
      const power = Math.max(FIRST_POWER, Math.ceil(Math.log2(upper)));
      if (power <= LAST_POWER) s.cumulative[power - FIRST_POWER] += counts[i]; // beyond: +Inf only
    }
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: object[] }> {
    const values: object[] = [];
    for (const s of this.series.values()) {
      let below = 0;
      LE_SECONDS.forEach((le, i) => {
        below += s.cumulative[i];
        values.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le }, value: below });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.count });
      values.push({ metricName: `${this.name}_sum`, labels: s.labels, value: s.sumNs / 1e9 });
      values.push({ metricName: `${this.name}_count`, labels: s.labels, value: s.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

export class PrometheusExporter {
  private readonly registry = new Registry();
  private readonly calls: Counter<string>;
  private readonly errors: Counter<string>;
  private readonly uncounted: Counter<string>;
  private readonly latency = new LatencyHistogram();
  private readonly comms = new Set<string>();
  private lastUncounted = 0;

  private constructor(private readonly server: http.Server, private readonly by: PrometheusLabels) {
    const labelNames = by === 'comm' ? ['syscall', 'comm'] : ['syscall'];
    const registers = [this.registry];
    this.calls = new Counter({ name: 'bpftrace_ts_syscall_calls_total', help: 'Syscalls that returned', labelNames, registers });
    this.errors = new Counter({ name: 'bpftrace_ts_syscall_errors_total', help: 'Syscalls that returned an error', labelNames, registers });
    this.uncounted = new Counter({ name: 'bpftrace_ts_uncounted_calls_total', help: 'Calls the kernel could not count (stats table full)', registers });
    this.registry.registerMetric(this.latency as unknown as Metric);
    server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
      if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
        response.writeHead(404).end('only /metrics here\n');
        return;
      }
      this.registry.metrics().then(
        (text) => response.writeHead(200, { 'Content-Type': this.registry.contentType }).end(text),
        (error: Error) => response.writeHead(500).end(`${error.message}\n`),
      );
    });
  }

  /** Listens on host:port; a user error if that address cannot be had. */
  static listen(address: { host: string; port: number }, by: PrometheusLabels): Promise<PrometheusExporter> {
    const server = http.createServer();
    return new Promise((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(new UserError(`--prometheus cannot listen on ${address.host}:${address.port}: ${error.code ?? error.message}`)));
      server.listen(address.port, address.host, () => resolve(new PrometheusExporter(server, by)));
    });
  }

  /** Where the metrics are served. */
  get url(): string {
    const { address, family, port } = this.server.address() as AddressInfo;
    return `http://${family === 'IPv6' ? `[${address}]` : address}:${port}/metrics`;
  }

  /** Adds one interval's counts. */
  add(snapshot: Aggregate): void {
    for (const row of snapshot.rows) {
      const labels: Record<string, string> = { syscall: syscallName(row.nr ?? 0) };
      if (this.by === 'comm') labels.comm = this.commLabel(row.comm ?? '?');
      this.calls.inc(labels, row.calls ?? 0);
      this.errors.inc(labels, row.errors ?? 0);
      this.latency.add(labels, row);
    }
    this.uncounted.inc(Math.max(0, snapshot.uncountedCalls - this.lastUncounted));
    this.lastUncounted = snapshot.uncountedCalls;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections(); // Prometheus keeps its connection open between scrapes
    });
  }

  private commLabel(comm: string): string {
    if (this.comms.has(comm)) return comm;
    if (this.comms.size >= MAX_COMM_LABELS) return OTHER_COMM;
    this.comms.add(comm);
    return comm;
  }
}
