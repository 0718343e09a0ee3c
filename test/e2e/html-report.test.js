// report --html: one self-contained page, rendered in headless Chromium driven over the
// DevTools protocol (on a pipe): its histograms and timeline are drawn, and no request
// leaves the page.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { debianProgram, fixture, tempDir, runTracer } = require('../helpers');

const dir = tempDir();

/** Headless Chromium with the DevTools protocol on fds 3 (commands) and 4 (replies, events). */
function devtools(chromium) {
  const browser = spawn(chromium, ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--remote-debugging-pipe', `--user-data-dir=${path.join(dir, 'profile')}`, '--window-size=1400,1200', 'about:blank'],
  // Its own process group: the browser's helper processes (zygote, renderers) end with it.
  { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'], detached: true });
  const events = [];
  const waiting = new Map();
  let nextId = 1;
  let pending = '';
  browser.stdio[4].on('data', (chunk) => {
    pending += chunk;
    let end;
    while ((end = pending.indexOf('\0')) >= 0) {
      const message = JSON.parse(pending.slice(0, end));
      pending = pending.slice(end + 1);
      if (message.id && waiting.has(message.id)) {
        const { resolve, reject } = waiting.get(message.id);
        waiting.delete(message.id);
        if (message.error) reject(new Error(JSON.stringify(message.error)));
        else resolve(message.result);
      } else if (message.method) {
        events.push(message);
      }
    }
  });
  const send = (method, params = {}, sessionId) => new Promise((resolve, reject) => {
    const id = nextId++;
    waiting.set(id, { resolve, reject });
    browser.stdio[3].write(JSON.stringify({ id, method, params, sessionId }) + '\0');
  });
  return { browser, events, send };
}

async function until(predicate, what, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('report --html: summary table, a histogram per syscall and a timeline, drawn with no request leaving the page', async () => {
  const chromium = debianProgram('chromium', 'chromium');
  const recording = path.join(dir, 'known.bpt');
  const record = await runTracer(['record', '-o', recording, '--', 'sh', '-c', `${fixture('known_calls')}; ${fixture('threads')} 3; cat ${dir}/missing`]);
  assert.is(record.status, 1, record.stderr);
  const html = path.join(dir, 'report.html');
  const run = await runTracer(['report', '-o', '/dev/null', '--html', html, recording]);
  assert.is(run.status, 0, run.stderr);
  const page = fs.readFileSync(html, 'utf8');
  assert.not.match(page, /(src|href)=/, 'nothing to load');

  const { browser, events, send } = devtools(chromium);
  try {
    const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
    for (const domain of ['Page', 'Network', 'Runtime', 'Log']) await send(`${domain}.enable`, {}, sessionId);
    const url = `file://${html}`;
    await send('Page.navigate', { url }, sessionId);
    await until(() => events.some((e) => e.method === 'Page.loadEventFired' && e.sessionId === sessionId), 'the page to load');
    const measure = await send('Runtime.evaluate', {
      returnByValue: true,
      expression: `JSON.stringify({
        histograms: [...document.querySelectorAll('svg.histogram')].map((svg) => ({
          name: svg.previousElementSibling.textContent,
          bars: [...svg.querySelectorAll('rect')].filter((r) => r.getBBox().height > 0).length,
          width: svg.getBoundingClientRect().width })),
        timelineRows: document.querySelectorAll('svg.timeline > text').length,
        timelineBars: [...document.querySelectorAll('svg.timeline rect')].filter((r) => r.getBBox().width > 0).length,
        failedBars: document.querySelectorAll('svg.timeline rect[fill="#d62728"]').length,
        summary: [...document.querySelectorAll('table.summary tr')].map((tr) => [...tr.cells].map((c) => c.textContent)),
        topRows: document.querySelectorAll('table.top tr').length - 1,
        summaryCollapsed: !document.querySelector('table.summary').closest('details').open,
        firstHeading: document.querySelector('h2').textContent,
        waitingBars: document.querySelectorAll('svg.timeline rect.waiting').length,
        timelineLabels: [...document.querySelectorAll('svg.timeline > text')].map((t) => t.textContent),
        // Every pair of text boxes in an SVG, and every text box against every bar of a
        // histogram: the overlapping ones.
        overlaps: [...document.querySelectorAll('svg')].flatMap((svg) => {
          const box = (e) => e.getBoundingClientRect();
          const cross = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
          const texts = [...svg.querySelectorAll(':scope > text')];
          const bars = svg.classList.contains('histogram') ? [...svg.querySelectorAll('rect')].filter((r) => r.getBBox().height > 0) : [];
          const found = [];
          texts.forEach((a, i) => {
            for (const b of texts.slice(i + 1)) if (cross(box(a), box(b))) found.push(a.textContent + ' / ' + b.textContent);
            for (const bar of bars) if (cross(box(a), box(bar))) found.push(a.textContent + ' / a bar');
          });
          return found;
        }),
      })`,
    }, sessionId);
    const shown = JSON.parse(measure.result.value);
    // The counts are those of the calls the json report shows (those that returned).
    const json = await runTracer(['report', '--format', 'json', recording]);
    const returned = new Map();
    for (const call of json.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)))
      if (call.dur_ns !== null) returned.set(call.syscall, (returned.get(call.syscall) ?? 0) + 1);
    assert.ok(returned.get('getppid') >= 10009 && returned.get('nanosleep') === 60);
    const rows = new Map(shown.summary.slice(1).map((cells) => [cells[0], Number(cells[1])]));
    assert.equal(rows, returned, 'a summary row per syscall with its calls');
    assert.is(shown.histograms.length, Math.min(12, returned.size), 'a histogram per syscall, the 12 with the most time');
    assert.equal(shown.overlaps, [], 'no label overlaps another label or a bar');
    assert.is(shown.firstHeading, 'Summary', 'the summary first');
    assert.is(shown.topRows, Math.min(10, returned.size), 'compact: the 10 syscalls with the most time');
    assert.ok(shown.summaryCollapsed, 'every syscall one click further');
    assert.ok(shown.waitingBars > 0, 'sh waiting in wait4 is drawn apart from work');
    for (const program of ['known_calls', 'threads', 'cat'])
      assert.ok(shown.timelineLabels.some((l) => l.startsWith(`${program} `)), `a row named ${program}: ${shown.timelineLabels}`);
    for (const h of shown.histograms) {
      const [, name, calls] = /^(\w+): (\d+) calls$/.exec(h.name);
      assert.is(Number(calls), returned.get(name));
      assert.ok(h.bars >= 1 && h.width > 0, `${name} has bars`);
    }
    const sleeps = shown.histograms.find((h) => h.name === 'nanosleep: 60 calls');
    if (sleeps) assert.ok(sleeps.bars >= 2, 'the 1 ms and the 10 ms sleeps');
    // sh, known_calls, threads' main and its three threads, cat.
    assert.ok(shown.timelineRows - 2 >= 7, `a row per thread: ${shown.timelineRows}`);
    assert.ok(shown.timelineBars > 20, `calls drawn: ${shown.timelineBars}`);
    assert.ok(shown.failedBars >= 1, 'the failed openat is marked');

    const shot = await send('Page.captureScreenshot', { format: 'png' }, sessionId);
    const png = Buffer.from(shot.data, 'base64');
    fs.writeFileSync(path.join(dir, 'report.png'), png);
    assert.ok(png.length > 20000, `a screenshot with something in it: ${png.length} bytes`);

    const requests = events.filter((e) => e.method === 'Network.requestWillBeSent').map((e) => e.params.request.url);
    assert.equal(requests.filter((r) => r !== url), [], 'no request but the page itself');
    const errors = events.filter((e) => (e.method === 'Log.entryAdded' && e.params.entry.level === 'error') ||
      (e.method === 'Runtime.consoleAPICalled' && e.params.type === 'error') || e.method === 'Runtime.exceptionThrown');
    assert.equal(errors, [], 'no console errors (a blocked request would be one)');
  } finally {
    await endGroup(browser.pid);
  }
});

/** Kills a process group and waits until none of it is left, so nothing writes into the
 * profile while it is removed. */
async function endGroup(pgid) {
  const alive = () => {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (alive()) process.kill(-pgid, 'SIGKILL');
  await until(() => !alive(), 'the browser and its helpers to end');
}

test.after(() => fs.rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 }));
test.run();
