// SPDX-License-Identifier: MIT
// The dashboard server over plain HTTP: what it serves, that no request reads outside the run
// folders (.., encoded dots, absolute paths, symlinks), bad run names, runs still being written
// or resumed, and the CLI's mistakes.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type Dashboard } from '../../src/dashboard/server.js';
import { main } from '../../src/cli/main.js';

let dir = '';
let dash: Dashboard;
const SECRET = 'top secret outside the run';

/** A raw GET (the path is sent as is: no client-side normalisation of .. or %2e). */
function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: dash.port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('latin1'), type: String(res.headers['content-type']) }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lcss-dash-'));
  const a = join(dir, 'runs', 'a'), b = join(dir, 'runs', 'b');
  mkdirSync(a, { recursive: true });
  mkdirSync(b, { recursive: true });
  writeFileSync(join(dir, 'secret.txt'), SECRET);
  writeFileSync(join(a, 'config.json'), JSON.stringify({ steps: 100, loss: { name: 'lcss' } }));
  // a run being written: the last line is cut in the middle of a record
  writeFileSync(join(a, 'metrics.jsonl'), '{"step":10,"loss":0.5,"lr":0.001,"gradNorm":1}\n{"step":20,"loss":0.4,"lr":0.001,"gradNorm":0.9}\n{"step":30,"lo');
  writeFileSync(join(a, 'samples-0000010.png'), Buffer.from('\x89PNG fake 10', 'latin1'));
  writeFileSync(join(a, 'samples-0000020.png'), Buffer.from('\x89PNG fake 20', 'latin1'));
  // symlinks out of run b: its config, metrics and newest "sample" all point at the secret
  for (const f of ['config.json', 'metrics.jsonl', 'samples-0000099.png']) symlinkSync(join(dir, 'secret.txt'), join(b, f));
  symlinkSync(dir, join(b, 'up'));
  dash = await startDashboard({ runs: [a, b], pollMs: 50 });
});
afterAll(async () => {
  await dash?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('dashboard server', () => {
  it('serves the page, its script and vega from node_modules on 127.0.0.1', async () => {
    expect(dash.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/<script src="\/vendor\/vega\.min\.js"><\/script>/);
    expect(page.body).not.toMatch(/https?:\/\/(?!127)/); // no CDN
    expect((await get('/app.js')).body).toMatch(/EventSource\('\/api\/events'\)/);
    const vega = await get('/vendor/vega.min.js');
    expect(vega.status).toBe(200);
    expect(vega.body.length).toBeGreaterThan(100_000);
  });

  it('lists runs and reads a run still being written (partial last line)', async () => {
    const runs = JSON.parse((await get('/api/runs')).body);
    expect(runs.map((r: { name: string }) => r.name)).toEqual(['a', 'b']);
    expect(runs[0]).toMatchObject({ step: 20, steps: 100, finished: false });
    expect(JSON.parse((await get('/api/runs/a/metrics')).body).map((r: { step: number }) => r.step)).toEqual([10, 20]);
    expect(JSON.parse((await get('/api/runs/a/config')).body).steps).toBe(100);
    const s = await get('/api/runs/a/sample');
    expect([s.status, s.type, s.body]).toEqual([200, 'image/png', '\x89PNG fake 20']);
    const c = JSON.parse((await get('/api/charts?runs=a')).body);
    expect(c.points.loss).toBe(2);
    expect(c.specs.loss.$schema).toMatch(/vega\/v6/); // compiled to Vega for the page
    expect(c.runs[0].sample).toBe('samples-0000020.png');
  });

  it('follows a run that grows, is resumed (file rewritten) and sends update events', async () => {
    const events: string[] = [];
    const stream = request({ host: '127.0.0.1', port: dash.port, path: '/api/events' }, (res) => res.on('data', (c: Buffer) => events.push(c.toString())));
    stream.end();
    await new Promise((r) => setTimeout(r, 150));
    const m = join(dir, 'runs', 'a', 'metrics.jsonl');
    appendFileSync(m, 'ss":0.3}\n');
    await new Promise((r) => setTimeout(r, 300));
    expect(JSON.parse((await get('/api/runs/a/metrics')).body).map((r: { step: number }) => r.step)).toEqual([10, 20, 30]);
    writeFileSync(m, '{"step":10,"loss":0.5}\n'); // a resume from step 10 rewrites the file
    await new Promise((r) => setTimeout(r, 300));
    expect(JSON.parse((await get('/api/runs/a/metrics')).body).map((r: { step: number }) => r.step)).toEqual([10]);
    stream.destroy();
    expect(events.join('').match(/event: update\ndata: \{"run":"a"\}/g)?.length).toBeGreaterThanOrEqual(2);
  });

  it('never serves a file outside the run folders', async () => {
    const paths = [
      '/../secret.txt', '/api/runs/../../secret.txt', '/api/runs/a/../../../secret.txt', '/api/runs/%2e%2e/config',
      '/api/runs/a/%2e%2e%2f%2e%2e%2fsecret.txt', '/api/runs/..%2f..%2fsecret.txt/config', '/api/runs/a%2f..%2f..%2fsecret.txt/config',
      `/api/runs/${encodeURIComponent(join(dir, 'secret.txt'))}/config`, join(dir, 'secret.txt'), `//${join(dir, 'secret.txt')}`,
      '/vendor/../package.json', '/vendor/vega.min.js/../../../package.json', '/api/runs/b/up/secret.txt', '/node_modules/vega/package.json',
    ];
    for (const p of paths) {
      const r = await get(p);
      expect([400, 404], p).toContain(r.status);
      expect(r.body, p).not.toContain(SECRET);
    }
    // symlinks inside run b that point outside it: as if absent
    for (const p of ['/api/runs/b/config', '/api/runs/b/sample']) expect((await get(p)).status, p).toBe(404);
    expect(JSON.parse((await get('/api/runs/b/metrics')).body)).toEqual([]);
    expect((await get('/api/charts?runs=b')).body).not.toContain(SECRET);
  });

  it('answers bad run names 400, unknown ones 404, and refuses foreign hosts and writes', async () => {
    for (const n of ['...', '.hidden', '-rf', 'a%00', '%ff', 'a%20b', 'a%5cb', 'x'.repeat(200)]) expect((await get(`/api/runs/${n}/config`)).status, n).toBe(400);
    // '.' and '..' are dot segments: the URL is normalised before routing, and the result is no route
    for (const n of ['.', '..', '%2e', '%2E%2E']) expect((await get(`/api/runs/${n}/config`)).status, n).toBe(404);
    expect((await get('/api/runs/zz/metrics')).status).toBe(404);
    expect((await get('/api/charts?runs=a,..')).status).toBe(400);
    expect((await get('/api/charts?runs=nope')).status).toBe(404);
    expect((await get('/api/runs', { Host: 'evil.example:80' })).status).toBe(403); // DNS rebinding
    expect((await get('/api/runs', {}, 'POST')).status).toBe(405);
  });
});

describe('lcss dashboard command', () => {
  it('names the flag in one line for each mistake', async () => {
    await expect(main(['dashboard'])).rejects.toThrow(/^lcss dashboard: --run DIR is required/);
    await expect(main(['dashboard', '--run', join(dir, 'nope')])).rejects.toThrow(/lcss dashboard: --run .*nope is not a directory/);
    await expect(main(['dashboard', '--rn', dir])).rejects.toThrow(/unknown option --rn \(did you mean --run\?\)/);
    await expect(main(['dashboard', '--run', dir, '--port', 'x'])).rejects.toThrow(/--port expects a number/);
    await expect(main(['dashboard', '--run', dir, '--port', '70000'])).rejects.toThrow(/--port expects an integer in \[0, 65535\]/);
    await expect(main(['dashboard', dir])).rejects.toThrow(/unexpected argument/);
    await expect(main(['dashboard', '--run', dir, '--port', String(dash.port)])).rejects.toThrow(/port \d+ is in use/);
    await expect(main(['train', '--dashboard-port', '1', '--steps', '1', '--out', join(dir, 'x')])).rejects.toThrow(/--dashboard-port needs --dashboard/);
  });
});
