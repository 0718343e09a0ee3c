// -ff -o NAME: each task's lines in a file of its own, NAME.TID, as strace writes them. The
// files are created as -o creates its file (0600, no symlink followed in a world-writable
// directory); a bounded number stay open, the least recently written is closed first and
// appended to when its task writes again.
import fs from 'node:fs';
import path from 'node:path';
import { FileError } from './file-error';
import { OutputSink, type LineSink } from './output-sink';

/** Files kept open at once (the tracer's descriptors are bounded too). */
const MAX_OPEN_FILES = 64;

export class PerTaskFiles implements LineSink {
  private readonly open = new Map<number, OutputSink>();
  /** Tasks whose file was created by this trace: reopened for appending, never truncated
   * again. At most one per task id (pid_max bounds them). */
  private readonly created = new Set<number>();

  /** rest: where lines about no task go (the -S tables). Throws if prefix's directory
   * cannot take files. */
  constructor(private readonly prefix: string, private readonly rest: LineSink) {
    fs.accessSync(path.dirname(path.resolve(prefix)), fs.constants.W_OK);
  }

  write(line: string, tid?: number): void {
    if (tid === undefined) this.rest.write(line);
    else this.sinkOf(tid).write(line);
  }

  flush(): void {
    for (const sink of this.open.values()) sink.flush();
    this.rest.flush();
  }

  close(): void {
    for (const sink of this.open.values()) sink.close();
    this.open.clear();
    this.rest.close();
  }

  private sinkOf(tid: number): OutputSink {
    let sink = this.open.get(tid);
    if (sink) {
      this.open.delete(tid); // most recently written last
      this.open.set(tid, sink);
      return sink;
    }
    if (this.open.size >= MAX_OPEN_FILES) {
      const [oldest, oldestSink] = this.open.entries().next().value as [number, OutputSink];
      oldestSink.close();
      this.open.delete(oldest);
    }
    sink = OutputSink.file(`${this.prefix}.${tid}`, this.created.has(tid));
    this.created.add(tid);
    this.open.set(tid, sink);
    return sink;
  }
}

/** Where a trace's lines go: stdout, the -o file, or with -ff one file per task named
 * after -o (the lines about no task, the -S tables, then go to stderr). */
export function openLineSink(output: string | undefined, filePerTask: boolean): LineSink {
  if (!output) return OutputSink.stdout();
  try {
    return filePerTask ? new PerTaskFiles(output, OutputSink.stderr()) : OutputSink.file(output);
  } catch (error) {
    const name = filePerTask ? `${output}.PID` : output;
    throw new FileError('write', name, error);
  }
}
