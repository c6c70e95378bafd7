// Drives gridwire's Hawtio console in Debian's headless Chromium: logs in, opens the Camel routes view (every
// route with its exchange counts), then one route's diagram and its source. Prints each view's text after a
// "=== <view>" line for the JUnit test to check, and saves a screenshot of each view.
// Environment: HAWTIO_URL (default http://localhost:8081/hawtio/), HAWTIO_USER, HAWTIO_PASSWORD, ROUTE (the route
// whose diagram and source to open), SCREENSHOTS (directory, default target), CHROMIUM (default /usr/bin/chromium).
import { chromium } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const base = process.env.HAWTIO_URL ?? 'http://localhost:8081/hawtio/';
const route = process.env.ROUTE ?? 'energy-telemetry-ingest';
const shots = process.env.SCREENSHOTS ?? 'target';
const step = (s) => console.error(`[hawtio] ${s}`);

// the flags that keep Chromium off the (closed) network, as root, with a fresh profile
const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'gridwire-chromium-')), {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1600, height: 1000 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

async function view(page, name) {
  await page.screenshot({ path: join(shots, `hawtio-${name}.png`), fullPage: false });
  console.log(`=== ${name}`);
  console.log(await page.locator('main, [role=main], body').first().innerText());
}

try {
  const page = browser.pages()[0] ?? await browser.newPage();
  if (process.env.DEBUG) page.on('requestfailed', r => step('failed ' + r.url()));
  // The console must work without internet: every request that leaves gridwire's host is refused and listed
  // (Hawtio's Source view would load its editor from cdn.jsdelivr.net; gridwire serves it instead).
  const external = [];
  const host = new URL(base).host;
  await page.route('**/*', (r) => {
    const url = new URL(r.request().url());
    if (url.host === host || url.protocol === 'data:' || url.protocol === 'blob:') return r.continue();
    external.push(url.href);
    return r.abort();
  });
  page.setDefaultTimeout(30000);
  step(`open ${base}`);
  await page.goto(base);
  const user = page.locator('#pf-login-username-id');
  const login = await user.waitFor({ timeout: 15000 }).then(() => true, () => false);
  if (login) {
    step('log in');
    await user.fill(process.env.HAWTIO_USER ?? 'admin');
    await page.locator('#pf-login-password-id').fill(process.env.HAWTIO_PASSWORD ?? '');
    await page.getByRole('button', { name: /log in/i }).click();
    await page.getByRole('link', { name: 'Camel', exact: true }).waitFor();
  }
  step('open Camel > routes');
  await page.getByRole('link', { name: 'Camel', exact: true }).click();
  await page.getByText('routes', { exact: true }).first().click();
  await page.getByRole('columnheader', { name: /completed/i }).first().waitFor();
  await page.getByText(route, { exact: true }).last().waitFor();
  await view(page, 'routes');

  step(`open route ${route}: diagram`);
  // routes sit in their group's folder (api, energy, autocore, ...): open them all, then pick the route in the tree
  await page.getByText('Expand all', { exact: true }).first().click();
  await page.getByText(route, { exact: true }).first().click();
  await page.getByText('Route Diagram', { exact: true }).first().click();
  await page.waitForTimeout(3000);
  await view(page, 'route-diagram');

  step(`open route ${route}: source`);
  await page.getByText('Source', { exact: true }).first().click();
  await page.locator('.monaco-editor .view-lines').first().waitFor();
  await page.waitForTimeout(500);
  await view(page, 'route-source');
  console.log('=== external requests');
  console.log(external.join('\n'));
} finally {
  await browser.close();
}
