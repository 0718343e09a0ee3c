// report --html: one self-contained HTML page (inline CSS and SVG, no script, a Content
// Security Policy that forbids every request) with the summary table, a latency histogram
// per syscall and a per-thread timeline. Memory is bounded whatever the recording's size:
// the timeline keeps a fixed number of time bins per thread, widened as the trace grows.
import type { AggregateRow } from '../wire/batch-decoder';
import { CallHistograms } from '../aggregate/call-histograms';
import type { SyscallCall } from '../pair/call-pairer';
import { bucketBounds, percentile } from '../aggregate/latency-buckets';
import { WholeFile } from '../sink/private-file';
import { shellCommandLine } from '../render/shell-quote';
import { errnoOf } from '../syscalls/raw-args';
import type { RecordingHeader } from '../wire/recording';
import { syscallName } from '../syscalls/syscall-table';
import type { CallExport } from './call-export';

const TIME_BINS = 600;
const FIRST_BIN_NS = 1000;
const MAX_THREADS = 200;
/** Threads past MAX_THREADS are counted up to this many. */
const MAX_HIDDEN_COUNTED = 65536;
const MAX_HISTOGRAMS = 12;
/** Syscalls in the table the page opens with; all of them are one click further. */
const TOP_SYSCALLS = 10;
const ROW_HEIGHT = 16;
const LABEL_WIDTH = 180;
/** Characters of a timeline row's label: more would run into the row (10px text). */
const LABEL_CHARS = 28;
/** Calls that wait for something (a child, a descriptor, a lock, time) rather than work:
 * drawn apart from the others on the timeline. */
const WAITING_CALLS = new Set(['wait4', 'waitid', 'poll', 'ppoll', 'select', 'pselect6', 'epoll_wait', 'epoll_pwait',
  'epoll_pwait2', 'futex', 'nanosleep', 'clock_nanosleep', 'pause', 'rt_sigsuspend', 'rt_sigtimedwait', 'accept', 'accept4']);
/** A histogram's width: its two axis labels always fit side by side. */
const HISTOGRAM_WIDTH = 240;
const BIN_WIDTH = 1.5; // px: the timeline is TIME_BINS * BIN_WIDTH wide

interface ThreadRow {
  pid: number;
  tid: number;
  comm: string;
  busyNs: Float64Array; // per bin: time spent in calls that work
  waitNs: Float64Array; // per bin: time spent in calls that wait (WAITING_CALLS)
  calls: Uint32Array;
  failed: Uint32Array;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const ms = (ns: number): string => (ns / 1e6).toFixed(3);

export class ExportHtml implements CallExport {
  private readonly histograms = new CallHistograms('syscall');
  private readonly threads = new Map<number, ThreadRow>();
  private readonly threadsNotShown = new Set<number>();
  private binNs = FIRST_BIN_NS;
  private endNs = 0;
  private readonly file: WholeFile;

  constructor(file: string, private readonly recording: string, private readonly header: RecordingHeader) {
    this.file = new WholeFile(file);
  }

  add(call: SyscallCall): void {
    if (call.state === 'started') return;
    this.histograms.add(call);
    const end = call.tsNs + (call.durNs ?? 0);
    while (end >= this.binNs * TIME_BINS) this.widenBins();
    this.endNs = Math.max(this.endNs, end);
    const row = this.threadRow(call);
    if (!row) return;
    const failed = call.state === 'returned' && call.ret !== null && errnoOf(call.nr, call.ret) !== null;
    const first = Math.floor(call.tsNs / this.binNs);
    row.calls[first]++;
    if (failed) row.failed[first]++;
    // Spread the call's time over the bins it covers.
    const spent = WAITING_CALLS.has(syscallName(call.nr)) ? row.waitNs : row.busyNs;
    for (let bin = first, t = call.tsNs; t < end; bin++) {
      const binEnd = (bin + 1) * this.binNs;
      spent[bin] += Math.min(end, binEnd) - t;
      t = binEnd;
    }
  }

  discard(): void {
    this.file.discard();
  }

  finish(): void {
    this.file.write(Buffer.from(this.render()));
    this.file.close();
  }

  private threadRow(call: SyscallCall): ThreadRow | undefined {
    let row = this.threads.get(call.tid);
    if (row) {
      row.comm = call.comm; // its program: the name after its last execve
      return row;
    }
    if (this.threads.size >= MAX_THREADS) {
      if (this.threadsNotShown.size < MAX_HIDDEN_COUNTED) this.threadsNotShown.add(call.tid);
      return undefined;
    }
    row = { pid: call.pid, tid: call.tid, comm: call.comm, busyNs: new Float64Array(TIME_BINS), waitNs: new Float64Array(TIME_BINS), calls: new Uint32Array(TIME_BINS), failed: new Uint32Array(TIME_BINS) };
    this.threads.set(call.tid, row);
    return row;
  }

  /** Twice as long a bin: pairs of bins merge into one. */
  private widenBins(): void {
    this.binNs *= 2;
    for (const row of this.threads.values()) {
      for (const column of [row.busyNs, row.waitNs, row.calls, row.failed]) {
        for (let i = 0; i < TIME_BINS / 2; i++) column[i] = column[2 * i] + column[2 * i + 1];
        column.fill(0, TIME_BINS / 2);
      }
    }
  }

  private render(): string {
    const rows = this.histograms.rows().sort((a, b) => (b.totalNs ?? 0) - (a.totalNs ?? 0));
    const h = this.header;
    const title = `bpftrace-ts report: ${this.recording}`;
    return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${escape(title)}</title>
<style>
body { font: 13px sans-serif; margin: 16px; color: #222; }
table { border-collapse: collapse; } td, th { padding: 2px 8px; text-align: right; } td:first-child, th:first-child { text-align: left; }
tr:nth-child(even) { background: #f3f3f3; } .histograms { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; } figcaption { font-weight: bold; } svg text { font: 10px sans-serif; }
h1 { font-size: 18px; } h2 { font-size: 15px; margin-top: 20px; } details { margin-top: 8px; }
</style></head><body>
<h1>${escape(title)}</h1>
<p>Recorded on ${escape(h.host ?? '?')} (kernel ${escape(h.kernel ?? '?')}, ${escape(h.arch ?? '?')}) at ${new Date((h.startUnixNs ?? 0) / 1e6).toISOString()} by <code>${escape(shellCommandLine(h.argv ?? []))}</code>.</p>
<h2>Summary</h2>
${this.overview(rows)}
${summaryTable(rows.slice(0, TOP_SYSCALLS), 'top')}
<details><summary>All ${rows.length} syscalls</summary>
${summaryTable(rows, 'summary')}
</details>
<h2>Latency histograms</h2>
<p>Calls per latency, in log2 buckets (the ${Math.min(rows.length, MAX_HISTOGRAMS)} syscalls with the most total time).</p>
<div class="histograms">
${rows.slice(0, MAX_HISTOGRAMS).map(histogramSvg).join('\n')}
</div>
<h2>Timeline</h2>
${this.timelineSvg()}
</body></html>
`;
  }

  /** One paragraph: how many calls, failures, threads and processes, over how long. */
  private overview(rows: AggregateRow[]): string {
    const calls = rows.reduce((sum, row) => sum + (row.calls ?? 0), 0);
    const errors = rows.reduce((sum, row) => sum + (row.errors ?? 0), 0);
    const processes = new Map<number, string>();
    for (const row of this.threads.values()) if (row.tid === row.pid || !processes.has(row.pid)) processes.set(row.pid, row.comm);
    const programs = [...new Set(processes.values())];
    return `<p>${calls} calls (${errors} failed) of ${rows.length} syscalls in ${ms(this.endNs)} ms, by ${this.threads.size + this.threadsNotShown.size} threads ` +
      `of ${processes.size} processes: ${escape(programs.slice(0, 12).join(', '))}${programs.length > 12 ? ', ...' : ''}. The syscalls with the most time:</p>`;
  }

  private timelineSvg(): string {
    const rows = [...this.threads.values()].sort((a, b) => a.pid - b.pid || a.tid - b.tid);
    const width = LABEL_WIDTH + TIME_BINS * BIN_WIDTH;
    const height = (rows.length + 1) * ROW_HEIGHT + 4;
    const parts: string[] = [];
    rows.forEach((row, r) => {
      const y = r * ROW_HEIGHT;
      const label = `${row.comm} ${row.pid}/${row.tid}`;
      parts.push(`<text x="0" y="${y + 11}">${escape(label.length > LABEL_CHARS ? label.slice(0, LABEL_CHARS - 1) + '…' : label)}<title>${escape(label)}</title></text>`);
      for (let bin = 0; bin < TIME_BINS; bin++) {
        const x = LABEL_WIDTH + bin * BIN_WIDTH;
        // Waiting (wait4, poll, futex, sleeps...): a thin grey band, not the thread working.
        if (row.waitNs[bin] > 0 && row.busyNs[bin] === 0 && row.failed[bin] === 0) {
          parts.push(`<rect class="waiting" x="${x}" y="${y + ROW_HEIGHT / 2 - 2}" width="${BIN_WIDTH}" height="4" fill="#999" fill-opacity="0.6">` +
            `<title>${ms(bin * this.binNs)} ms: waiting</title></rect>`);
          continue;
        }
        if (row.calls[bin] === 0 && row.busyNs[bin] === 0) continue;
        // Darker the more of the bin the thread spent in calls; red where a call failed.
        const share = Math.max(0.15, Math.min(1, row.busyNs[bin] / this.binNs));
        const color = row.failed[bin] > 0 ? '#d62728' : '#1f77b4';
        parts.push(`<rect x="${x}" y="${y + 2}" width="${BIN_WIDTH}" height="${ROW_HEIGHT - 4}" ` +
          `fill="${color}" fill-opacity="${share.toFixed(2)}"><title>${ms(bin * this.binNs)} ms: ${row.calls[bin]} calls started` +
          `${row.failed[bin] ? `, ${row.failed[bin]} failed` : ''}</title></rect>`);
      }
    });
    const axisY = rows.length * ROW_HEIGHT + 12;
    parts.push(`<text x="${LABEL_WIDTH}" y="${axisY}">0 ms</text>`,
      `<text x="${width}" y="${axisY}" text-anchor="end">${ms(this.endNs)} ms</text>`);
    const more = this.threadsNotShown.size > 0 ? `<p>${this.threadsNotShown.size} more threads are not shown.</p>` : '';
    return `<p>One row per thread, named by its program; each column is ${ms(this.binNs)} ms, blue and darker the more of it was spent in system calls that work, red where a call failed, a thin grey band where the thread only waited (wait4, poll, futex, sleeps...).</p>
<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
${parts.join('\n')}
</svg>${more}`;
  }
}

function summaryTable(rows: AggregateRow[], className: string): string {
  const cells = rows.map((row) => {
    const calls = row.calls ?? 0;
    const counts = new Float64Array(Math.max(0, ...(row.bucket ?? [])) + 1);
    (row.bucket ?? []).forEach((b, i) => (counts[b] = (row.bucketCount ?? [])[i]));
    const p = (q: number): string => ms(percentile(counts, calls, q, row.minNs ?? 0, row.maxNs ?? 0));
    return `<tr><td>${escape(syscallName(row.nr ?? 0))}</td><td>${calls}</td><td>${row.errors ?? 0}</td><td>${ms(row.totalNs ?? 0)}</td>` +
      `<td>${ms(row.minNs ?? 0)}</td><td>${ms((row.totalNs ?? 0) / Math.max(1, calls))}</td><td>${ms(row.maxNs ?? 0)}</td><td>${p(50)}</td><td>${p(99)}</td></tr>`;
  });
  return `<table class="${className}"><tr><th>syscall</th><th>calls</th><th>errors</th><th>total (ms)</th><th>min (ms)</th><th>avg (ms)</th>` +
    `<th>max (ms)</th><th>p50 (ms)</th><th>p99 (ms)</th></tr>\n${cells.join('\n')}\n</table>`;
}

/** Bars per power of two of latency: [2^k, 2^(k+1)) ns. */
function histogramSvg(row: AggregateRow): string {
  const perPower = new Map<number, number>();
  (row.bucket ?? []).forEach((b, i) => {
    const power = Math.floor(Math.log2(Math.max(1, bucketBounds(b)[0])));
    perPower.set(power, (perPower.get(power) ?? 0) + (row.bucketCount ?? [])[i]);
  });
  const first = Math.min(...perPower.keys());
  const last = Math.max(...perPower.keys());
  const most = Math.max(...perPower.values());
  // The count of the highest bar above the plot, the latency range on one line under it:
  // no label shares a place with a bar or another label, whatever the number of bars.
  const width = HISTOGRAM_WIDTH;
  const barWidth = Math.min(14, (width - 4) / (last - first + 1));
  const plotTop = 16;
  const plotHeight = 90;
  const bars: string[] = [];
  for (let power = first; power <= last; power++) {
    const n = perPower.get(power) ?? 0;
    const h = n === 0 ? 0 : Math.max(1, (n / most) * plotHeight);
    const x = 2 + (power - first) * barWidth;
    bars.push(`<rect x="${x.toFixed(1)}" y="${(plotTop + plotHeight - h).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="#2ca02c"><title>${latencyLabel(2 ** power)} to ${latencyLabel(2 ** (power + 1))}: ${n} calls</title></rect>`);
  }
  const name = syscallName(row.nr ?? 0);
  const axisY = plotTop + plotHeight;
  return `<figure><figcaption>${escape(name)}: ${row.calls} calls</figcaption>
<svg class="histogram" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${axisY + 16}" viewBox="0 0 ${width} ${axisY + 16}">
<text x="2" y="10">highest bar: ${most} calls</text>
<line x1="0" y1="${axisY}" x2="${width}" y2="${axisY}" stroke="#888"/>
${bars.join('\n')}
<text x="2" y="${axisY + 12}">${latencyLabel(2 ** first)}</text>
<text x="${width - 2}" y="${axisY + 12}" text-anchor="end">${latencyLabel(2 ** (last + 1))}</text>
</svg></figure>`;
}

function latencyLabel(ns: number): string {
  for (const [scale, unit] of [[1e9, 's'], [1e6, 'ms'], [1e3, 'us']] as const) if (ns >= scale) return `${Number((ns / scale).toPrecision(3))} ${unit}`;
  return `${ns} ns`;
}
