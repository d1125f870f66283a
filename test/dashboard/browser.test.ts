// SPDX-License-Identifier: MIT
// The dashboard end to end in a real browser: a short training runs in a child process while
// headless Chromium (Debian's, driven by playwright-core) watches the page; the loss curve must
// gain points as the run trains and the sample image must appear. Skipped, saying so in its
// title, where /usr/bin/chromium is absent (CI installs it: .ci/run).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startDashboard, type Dashboard } from '../../src/dashboard/server.js';

const CHROMIUM = '/usr/bin/chromium';
const have = existsSync(CHROMIUM);
const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'lcss-dash-browser-'));
let child: ChildProcess | undefined;
let dash: Dashboard | undefined;

afterAll(async () => {
  child?.kill('SIGKILL');
  await dash?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!have)(`dashboard in a browser${have ? '' : ' (skipped: no /usr/bin/chromium; apt-get install chromium)'}`, () => {
  it('shows a training live: the loss curve gains points and the samples appear', async () => {
    const out = join(dir, 'cb');
    // the CLI from source through tsx, in its own process, so the page's updates come from files
    // written by another process as in real use
    let log = '';
    child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/bin.ts'), 'train', '--steps', '2000', '--logEvery', '5', '--evalEvery', '40', '--ckptEvery', '1000',
      '--sampling.n', '300', '--sampling.steps', '30', '--out', out, '--plain'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (c: Buffer) => (log += c));
    child.stderr!.on('data', (c: Buffer) => (log += c));
    await until('the run folder', () => existsSync(join(out, 'config.json')), 60_000);
    dash = await startDashboard({ runs: [out], pollMs: 200 });

    const { chromium } = await import('playwright-core');
    // no sandbox: CI runs as root. The browser is not ours to sanitize: under the ASan stage it
    // must not inherit the preloaded runtime
    const env = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && k !== 'LD_PRELOAD' && !k.endsWith('SAN_OPTIONS'))) as Record<string, string>;
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'], env });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(dash.url);
      const points = () => page.evaluate(() => Number(document.getElementById('loss')!.dataset.points));
      await page.waitForFunction(() => Number(document.getElementById('loss')!.dataset.points) >= 2, null, { timeout: 60_000 });
      const first = await points();
      // the curve is an SVG drawn by vega, and it grows while the run trains
      expect(await page.locator('#loss svg path').count()).toBeGreaterThan(0);
      await page.waitForFunction((n) => Number(document.getElementById('loss')!.dataset.points) > n + 2, first, { timeout: 60_000 });
      expect(await points()).toBeGreaterThan(first);
      await page.waitForFunction(() => {
        const img = document.querySelector<HTMLImageElement>('#samples img');
        return !!img && img.complete && img.naturalWidth > 100;
      }, null, { timeout: 90_000 });
      expect(await page.locator('#eval svg').count()).toBe(1);
      expect(await page.locator('#config pre').textContent()).toMatch(/"checkerboard"/);
      const shot = join(dir, 'dashboard.png');
      await page.screenshot({ path: shot, fullPage: true });
      if (process.env.LCSS_DASHBOARD_SHOT) await page.screenshot({ path: process.env.LCSS_DASHBOARD_SHOT, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(20_000);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
    expect(child.exitCode, log).toBe(null); // still training: the page followed a live run
  }, 240_000);
});
