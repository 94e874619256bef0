// careaudit in a real browser: Debian's chromium driven by playwright-core. Run by the Rust
// integration test `browser` (tests/tests/it/browser.rs), which starts careaudit with fresh
// databases and seeded cases and passes their names in the environment. Screenshots and
// downloads go to CAREAUDIT_ARTIFACTS (target/test-artifacts/ by default).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => {
  const value = process.env[name];
  assert.ok(value, `${name} must be set (the Rust test sets it)`);
  return value;
};
const base = env('CAREAUDIT_URL');
const password = env('CAREAUDIT_PASSWORD');
const caseRef = env('CAREAUDIT_CASE');
const patient = env('CAREAUDIT_PATIENT');
const artifacts = process.env.CAREAUDIT_ARTIFACTS ?? 'target/test-artifacts';
mkdirSync(artifacts, { recursive: true });

let browser;
before(async () => {
  // The machine's network is closed: without these flags chromium stalls on its own services.
  // Playwright gives every launch a fresh, temporary profile (--user-data-dir) of its own.
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => { await browser?.close(); });

async function signIn(page, username) {
  await page.goto(`${base}/cases`);
  // Signed out, the page sends the browser to the sign-in form.
  assert.match(page.url(), /\/signin\?next=%2Fcases$/);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await Promise.all([
    page.waitForURL((url) => url.pathname !== '/signin'),
    page.click('#signin button[type=submit]'),
  ]);
}

const shot = (page, name) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });

test('a privacy officer signs in, triages the queue and reads a case', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/signin`);
  await shot(page, '01-sign-in');
  await signIn(page, 'officer-a');
  assert.equal(new URL(page.url()).pathname, '/cases');
  assert.ok(await page.isVisible(`a[href="/cases/${caseRef}"]`), 'the case is in the queue');
  await shot(page, '02-case-queue');
  await page.selectOption('select[name=state]', 'new');
  await Promise.all([page.waitForURL(/state=new/), page.click('#filters button[type=submit]')]);
  await Promise.all([page.waitForURL(`**/cases/${caseRef}`), page.click(`a[href="/cases/${caseRef}"]`)]);
  assert.equal(new URL(page.url()).pathname, `/cases/${caseRef}`);
  const facts = await page.textContent('#facts');
  assert.match(facts, /emergency|high|critical|medium|low/);
  assert.ok(await page.isVisible('#findings'));
  assert.ok(await page.isVisible('#access-timeline'));
  assert.ok(await page.isVisible('#activity-chart'));
  // The emergency reason carries a script tag: it is shown as text, never run.
  assert.match(await page.content(), /cardiac arrest &lt;script&gt;/);
  await shot(page, '03-case-page');
  // Sign out through the form (with its CSRF token).
  await Promise.all([page.waitForURL(/\/signin$/), page.click('form.signout button[type=submit]')]);
  await page.goto(`${base}/cases/${caseRef}`);
  assert.match(page.url(), /\/signin/);
  await context.close();
});

test('a privacy officer works a new case from the queue to closed', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, 'officer-a');
  // Open a new case from the queue.
  await page.selectOption('select[name=state]', 'new');
  await Promise.all([page.waitForURL(/state=new/), page.click('#filters button[type=submit]')]);
  await Promise.all([page.waitForURL(`**/cases/${caseRef}`), page.click(`#cases a[href="/cases/${caseRef}"]`)]);
  assert.match(await page.textContent('#state'), /^new/);
  // Each form posts, and the browser lands back on the case page, which says what was done.
  // (waitForNavigation, not waitForURL: the URL after one move already matches the next.)
  const submit = async (selector, done) => {
    await Promise.all([page.waitForNavigation({ url: new RegExp(`done=${done}`) }), page.click(selector)]);
    assert.ok(await page.isVisible('#done'), `the page confirms ${done}`);
  };
  await submit('#assign-me button[type=submit]', 'assigned');
  assert.match(await page.textContent('#assignee'), /officer-a/);
  await page.fill('#move input[name=reason]', 'no relationship on record');
  await submit('#move button[value=triage]', 'state');
  assert.match(await page.textContent('#state'), /^triage/);
  await submit('#move button[value=investigating]', 'state');
  assert.match(await page.textContent('#state'), /^investigating/);
  await page.fill('#note textarea[name=body]', 'Spoke to the ward manager: no clinical reason.');
  await submit('#note button[type=submit]', 'note');
  await shot(page, '05-case-investigating');
  // A potential breach: the page shows the ICO's 72-hour deadline; the decision comes first.
  await page.fill('#mark-breach textarea[name=what_happened]', 'Viewed a neighbour\'s record.');
  await submit('#mark-breach button[type=submit]', 'breach');
  const breach = await page.textContent('#breach');
  assert.match(breach, /ICO deadline \(72 hours\)/);
  assert.match(breach, /7[01] h \d\d min left/);
  await page.locator('#breach').scrollIntoViewIfNeeded();
  await shot(page, '06-case-potential-breach');
  await page.check('#breach-decision input[value=not_reported]');
  await page.fill('#breach-decision input[name=reason]', 'one record, no harm likely');
  await submit('#breach-decision button[type=submit]', 'decision');
  await page.selectOption('#close select[name=disposition]', 'inappropriate_education');
  await page.fill('#close input[name=reason]', 'first incident; training booked');
  await submit('#close button[type=submit]', 'state');
  assert.match(await page.textContent('#state'), /closed — inappropriate — education/);
  // The timeline shows every change, in order, by the officer.
  const timeline = await page.locator('#timeline tbody tr').allTextContents();
  const mine = timeline.filter((row) => row.includes('officer-a'));
  const expected = [
    /assigned to officer-a/,
    /moved from new to triage \(no relationship on record\)/,
    /moved from triage to investigating/,
    /note: Spoke to the ward manager: no clinical reason\./,
    /marked as a potential breach; ICO deadline/,
    /breach not reported \(one record, no harm likely\)/,
    /closed from investigating as inappropriate — education \(first incident; training booked\)/,
  ];
  assert.equal(mine.length, expected.length, mine.join('\n'));
  expected.forEach((pattern, index) => assert.match(mine[index], pattern));
  assert.ok(await page.isVisible('#reopen'), 'a closed case can be reopened');
  await page.locator('#timeline').scrollIntoViewIfNeeded();
  await shot(page, '07-case-closed-timeline');
  await context.close();
});

test('an investigator traces a patient and downloads the PDF evidence pack', async () => {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await signIn(page, 'investigator');
  await page.goto(`${base}/trace`);
  await page.fill('input[name=patient]', patient);
  await Promise.all([page.waitForURL(/\/patients\//), page.click('#trace-search button[type=submit]')]);
  assert.equal(new URL(page.url()).pathname, `/patients/${patient}/trace`);
  const rows = await page.locator('#accesses tbody tr').count();
  assert.ok(rows >= 2, `the trace lists the patient's accesses (${rows})`);
  assert.match(await page.textContent('#organisations'), /RDM01/);
  await shot(page, '04-patient-trace');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-pdf')]);
  assert.match(download.suggestedFilename(), /^careaudit-patient-trace-.*\.pdf$/);
  const saved = join(artifacts, download.suggestedFilename());
  await download.saveAs(saved);
  const bytes = readFileSync(saved);
  assert.equal(bytes.subarray(0, 5).toString(), '%PDF-');
  await context.close();
});
