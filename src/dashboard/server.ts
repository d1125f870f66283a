// SPDX-License-Identifier: MIT
// `lcss dashboard`: a small node:http server on 127.0.0.1 that shows runs live. Routes (GET only):
//   /                          the page          /app.js            its script
//   /vendor/vega.min.js        vega's browser build, from node_modules (an allow-list of exact files)
//   /api/runs                  the runs served: name, folder, step, finished
//   /api/runs/NAME/config      config.json       /api/runs/NAME/metrics   metrics.jsonl as JSON
//   /api/runs/NAME/sample      the newest samples-*.png
//   /api/charts?runs=A,B       Vega specs (loss, lr, gradNorm, eval) of those runs, with their status
//   /api/events                server-sent "update" events when a run's files change
// A request names runs, never paths (runs.ts reads the files, inside the run folders only); a bad
// name is 400, an unknown one 404. The Host header must be this server's, so a page elsewhere
// cannot reach it through DNS rebinding.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { argError, ArgumentError, checkKnownKeys, checkOptions } from '../errors.js';
import { compileChart } from '../eval/render.js';
import { evalChartSpec, lossChartSpec, metricChartSpec, type RunRecords } from '../eval/run_charts.js';
import { APP_JS, PAGE_HTML } from './page.js';
import { latestSample, readRunConfig, readRunMetrics, registerRuns, RUN_NAME, runStatus, runVersion, type DashboardRun } from './runs.js';

export interface DashboardOptions {
  /** run directories to show (each must exist) */
  runs: readonly string[];
  /** TCP port (default 0: a free one) */
  port?: number;
  /** how often run folders are checked for changes, ms (default 500) */
  pollMs?: number;
}

export interface Dashboard {
  url: string;
  port: number;
  runs: readonly DashboardRun[];
  close(): Promise<void>;
}

/** The only files served from node_modules: URL path → [package, file next to its entry point]. */
const VENDOR: Record<string, [string, string]> = {
  '/vendor/vega.min.js': ['vega', 'vega.min.js'],
};

function vendorFile(path: string): string | null {
  const v = VENDOR[path];
  if (!v) return null;
  // next to the package's entry point (its build/ folder): a package's exports hide package.json
  return join(dirname(createRequire(import.meta.url).resolve(v[0])), v[1]);
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    // scripts from this server only (vega compiles its expressions with Function: unsafe-eval)
    'Content-Security-Policy': "default-src 'none'; script-src 'self' 'unsafe-eval'; style-src 'unsafe-inline'; img-src 'self'; connect-src 'self'",
  });
  res.end(body);
}

const json = (res: ServerResponse, v: unknown) => send(res, 200, 'application/json; charset=utf-8', JSON.stringify(v));

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const fn = 'startDashboard';
  const opts = checkOptions(fn, 'options', o) as DashboardOptions;
  checkKnownKeys(fn, 'options', opts, ['runs', 'port', 'pollMs']);
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw argError(fn, 'port', port, 'an integer in [0, 65535] (0: a free port)');
  const pollMs = opts.pollMs ?? 500;
  if (!Number.isFinite(pollMs) || pollMs < 20) throw argError(fn, 'pollMs', pollMs, 'a number of milliseconds >= 20');
  const runs = registerRuns(fn, opts.runs);
  const byName = new Map(runs.map((r) => [r.name, r]));
  const clients = new Set<ServerResponse>();
  let hostOk: Set<string> = new Set();

  const runOf = (name: string): DashboardRun => {
    if (!RUN_NAME.test(name)) throw new HttpError(400, `bad run name ${JSON.stringify(name.slice(0, 100))}`);
    const r = byName.get(name);
    if (!r) throw new HttpError(404, `no run named ${JSON.stringify(name)}`);
    return r;
  };

  async function charts(names: string[]) {
    const sel = names.map(runOf);
    const recs: RunRecords[] = sel.map((r) => ({ name: r.name, records: readRunMetrics(r) }));
    const count = (k: string) => recs.reduce((n, r) => n + r.records.filter((x) => typeof x[k] === 'number').length, 0);
    const size = { width: 420, height: 220 };
    const specs = {
      loss: await compileChart(lossChartSpec(recs, size)),
      lr: await compileChart(metricChartSpec(recs, 'lr', { ...size, title: 'learning rate' })),
      gradNorm: await compileChart(metricChartSpec(recs, 'gradNorm', { ...size, title: 'gradient norm (before clipping)', logY: true })),
      eval: await compileChart(evalChartSpec(recs)),
    };
    const points = { loss: count('loss'), lr: count('lr'), gradNorm: count('gradNorm'), eval: recs.reduce((n, r) => n + r.records.filter((x) => x.eval).length, 0) };
    const status = sel.map((r) => {
      const s = latestSample(r);
      return { ...runStatus(r), sample: s ? s.slice(r.dir.length + 1) : null };
    });
    return { runs: status, specs, points };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostOk.has(String(req.headers.host))) throw new HttpError(403, 'unexpected Host header');
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'GET only');
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://127.0.0.1');
    } catch {
      throw new HttpError(400, 'bad URL');
    }
    const path = url.pathname;
    if (path === '/') return send(res, 200, 'text/html; charset=utf-8', PAGE_HTML);
    if (path === '/app.js') return send(res, 200, 'text/javascript; charset=utf-8', APP_JS);
    if (path === '/favicon.ico') return send(res, 204, 'image/x-icon', ''); // browsers ask; there is none
    const vendor = vendorFile(path);
    if (vendor) return send(res, 200, 'text/javascript; charset=utf-8', readFileSync(vendor));
    if (path === '/api/runs') return json(res, runs.map(runStatus));
    if (path === '/api/charts') {
      const q = url.searchParams.get('runs');
      return json(res, await charts(q === null ? runs.map((r) => r.name) : q.split(',').filter(Boolean)));
    }
    if (path === '/api/events') return events(res);
    const m = /^\/api\/runs\/([^/]+)\/(config|metrics|sample)$/.exec(path);
    if (m) {
      let name: string;
      try {
        name = decodeURIComponent(m[1]);
      } catch {
        throw new HttpError(400, 'bad run name encoding');
      }
      const run = runOf(name);
      if (m[2] === 'metrics') return json(res, readRunMetrics(run));
      if (m[2] === 'config') {
        const c = readRunConfig(run);
        if (!c) throw new HttpError(404, 'config.json not written yet');
        return json(res, c);
      }
      const s = latestSample(run);
      if (!s) throw new HttpError(404, 'no samples yet');
      let png: Buffer;
      try {
        png = readFileSync(s);
      } catch {
        throw new HttpError(404, 'no samples yet');
      }
      return send(res, 200, 'image/png', png);
    }
    throw new HttpError(404, 'not found');
  }

  function events(res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.write('retry: 1000\n\n');
    clients.add(res);
    res.on('close', () => clients.delete(res));
  }

  // one watcher for all clients: polling stat() works for files replaced atomically (a rename),
  // appended to, or on filesystems where fs.watch does not
  const versions = new Map(runs.map((r) => [r.name, runVersion(r)]));
  let ticks = 0;
  const timer = setInterval(() => {
    ticks++;
    for (const r of runs) {
      const v = runVersion(r);
      if (v === versions.get(r.name)) continue;
      versions.set(r.name, v);
      for (const c of clients) c.write(`event: update\ndata: ${JSON.stringify({ run: r.name })}\n\n`);
    }
    // a comment now and then keeps proxies and idle timeouts from closing the stream
    if (ticks % Math.max(1, Math.round(15000 / pollMs)) === 0) for (const c of clients) c.write(': ping\n\n');
  }, pollMs);
  timer.unref();

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (e instanceof HttpError) send(res, e.status, 'text/plain; charset=utf-8', e.message + '\n');
      else send(res, 500, 'text/plain; charset=utf-8', `internal error: ${(e as Error)?.message ?? String(e)}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new ArgumentError(`${fn}: port ${port} is in use; choose another (--port) or 0 for a free one`) : e));
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  hostOk = new Set([`127.0.0.1:${bound}`, `localhost:${bound}`]);
  return {
    url: `http://127.0.0.1:${bound}/`,
    port: bound,
    runs,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        for (const c of clients) c.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
