// Where the start-up time goes, for scripts/bench/startup: with BPFTRACE_TS_STARTUP_TIMES=1 in
// the environment the tracer ends with one stderr line giving, in milliseconds since Node's
// process start (performance.timeOrigin), when Node was ready to run bin/bpftrace-ts, when our
// modules were loaded, how long the BPF programs took to load and attach, and when the first
// batch of events reached JavaScript.
import { performance } from 'node:perf_hooks';
import type { SessionStarted } from './native-addon';

export const STARTUP_TIMES_ENV = 'BPFTRACE_TS_STARTUP_TIMES';

interface Marks {
  nodeReady?: number;
  modulesLoaded?: number;
  sessionCalled?: number;
  loadMs?: number;
  attachMs?: number;
  loadWaitMs?: number;
  started?: number;
  firstEvent?: number;
}

const marks: Marks = {};

export const startupTimesWanted = (): boolean => process.env[STARTUP_TIMES_ENV] === '1';

/** From bin/bpftrace-ts: performance.now() before and after it required the CLI. */
export function noteLaunch(nodeReady: number, modulesLoaded: number): void {
  marks.nodeReady = nodeReady;
  marks.modulesLoaded = modulesLoaded;
}

export function noteSessionCalled(): void {
  marks.sessionCalled = performance.now();
}

export function noteSessionStarted(started: SessionStarted): void {
  marks.started = performance.now();
  marks.loadMs = started.loadMs;
  marks.attachMs = started.attachMs;
  marks.loadWaitMs = started.loadWaitMs;
}

export function noteEvents(): void {
  marks.firstEvent ??= performance.now();
}

const ms = (value: number | undefined): string => (value === undefined ? '-' : value.toFixed(1));

/** The one line: "start-up ms: node N modules M before-session S load L attach A load-wait W started T
 * first-event F" (load and attach ran on a native thread from before-session on; the start waited
 * W for them). */
export function startupTimesLine(): string {
  return `start-up ms: node ${ms(marks.nodeReady)} modules ${ms(marks.modulesLoaded)} before-session ${ms(marks.sessionCalled)}` +
    ` load ${ms(marks.loadMs)} attach ${ms(marks.attachMs)} load-wait ${ms(marks.loadWaitMs)} started ${ms(marks.started)} first-event ${ms(marks.firstEvent)}`;
}
