// The adaptive throttle under overload (issue 38), not a timed test: an origin in its own process
// (lib/overload-origin.mjs) accepts C requests a second and answers 503 beyond.
//
// (1) Node: 10 clients (steadfetch/core, retry 0, each its own `name`: they share nothing), each
//     sending C GETs a second whatever happens (open loop), so demand is 10 × C; printed per second:
//     the load offered at the origin and its goodput, without and with `adaptiveThrottle({ windowMs:
//     2_000 })` (k = 2). Targets after the first window: offered ≤ 1.3 × k × C, goodput ≥ 0.8 × C.
// (2) Chromium: 5 tabs (pages of one Playwright context) each sending fewer attempts than
//     `minRequests` (20) per window (10 s) to an origin that accepts 1 a second: alone a tab never
//     throttles; sharing one `name` (BroadcastChannel), the tabs learn together. Side by side with 5
//     names.
//
//   node bench/throttle.mjs [--quick]   (after `npm run build`; `npm run bench -- throttle`)
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright';
import { quick, writeResult } from './lib/args.mjs';
import { chromiumArgs, findChromium } from './lib/chromium.mjs';
import { distUrl, steadfetchCore } from './lib/library.mjs';
import { section, table } from './lib/table.mjs';

const { createClient, classify } = steadfetchCore;
const { adaptiveThrottle } = await import(new URL('throttle.js', distUrl).href);
const dist = dirname(fileURLToPath(distUrl));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const capacity = 40; // C, requests a second the origin accepts
const k = 2;
const clients = 10;
const windowMs = 2_000;
const seconds = quick ? 8 : 12;
/** Seconds measured: after the first window (and the second it ends in). */
const from = Math.ceil(windowMs / 1000) + 1;

// The page of the Chromium part: steadfetch/core and steadfetch/throttle from the built browser files.
const pageDir = mkdtempSync(join(tmpdir(), 'steadfetch-bench-throttle-'));
writeFileSync(join(pageDir, 'entry.mjs'), `
import { createClient, classify } from 'steadfetch/core';
import { adaptiveThrottle } from 'steadfetch/throttle';
globalThis.bench = {
	async run({ name, periodMs, until, minRequests, windowMs }) {
		const api = createClient({ name, retry: 0, adaptiveThrottle: adaptiveThrottle({ minRequests, windowMs }) });
		const outcomes = {};
		const calls = [];
		while (Date.now() < until) {
			calls.push(api.get('/api/tab').then((response) => response.status, (error) => classify(error).code).then((outcome) => {
				outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
			}));
			await new Promise((resolve) => setTimeout(resolve, periodMs));
		}

		await Promise.all(calls);
		api.close();
		return outcomes;
	},
};`);
await build({
	entryPoints: [join(pageDir, 'entry.mjs')], bundle: true, format: 'esm', target: 'es2022', platform: 'browser', outfile: join(pageDir, 'page.js'), logLevel: 'warning',
	alias: { 'steadfetch/core': join(dist, 'browser', 'core.js'), 'steadfetch/throttle': join(dist, 'browser', 'throttle.js') },
});
writeFileSync(join(pageDir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>steadfetch throttle bench</title><script type="module" src="/page.js"></script>');

const child = fork(fileURLToPath(new URL('lib/overload-origin.mjs', import.meta.url)), [], { env: { ...process.env, ORIGIN_STATIC: pageDir }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const [{ port }] = await once(child, 'message');
const origin = `http://127.0.0.1:${port}`;
const ask = async (message, key) => new Promise((resolve) => {
	const listen = (answer) => {
		if (key in answer) {
			child.off('message', listen);
			resolve(answer[key]);
		}
	};

	child.on('message', listen);
	child.send(message);
});

const mean = (values) => Math.round(values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length));

/** Ten clients at C a second each for `seconds`: the origin's seconds, and what the clients met. */
const overload = async (throttled) => {
	await ask({ reset: { capacity } }, 'ok');
	const apis = Array.from({ length: clients }, (_, index) => createClient({ name: `bench-throttle-${index}`, retry: 0, ...(throttled ? { adaptiveThrottle: adaptiveThrottle({ k, windowMs }) } : {}) }));
	const outcomes = {};
	const pending = new Set();
	const timers = [];
	for (const [index, api] of apis.entries()) {
		await sleep(1000 / capacity / clients); // staggered: demand spread over each period
		timers.push(setInterval(() => {
			const call = api.get(`${origin}/api/${index}`).then(async (response) => {
				await response.arrayBuffer();
				return response.status;
			}, (error) => classify(error).code).then((outcome) => {
				outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
			});
			pending.add(call);
			void call.finally(() => pending.delete(call));
		}, 1000 / capacity));
	}

	await sleep(seconds * 1000);
	for (const timer of timers) {
		clearInterval(timer);
	}

	await Promise.all(pending);
	const perSecond = await ask({ stats: true }, 'stats');
	for (const api of apis) {
		api.close();
	}

	const measured = perSecond.slice(from, seconds);
	const attempts = Object.values(outcomes).reduce((sum, count) => sum + count, 0);
	return { perSecond, outcomes, demand: Math.round(attempts / seconds), offered: mean(measured.map(({ offered }) => offered)), goodput: mean(measured.map(({ ok }) => ok)) };
};

const without = await overload(false);
const withPolicy = await overload(true);
const targets = { offered: Math.round(1.3 * k * capacity), goodput: Math.round(0.8 * capacity) };
const met = withPolicy.offered <= targets.offered && withPolicy.goodput >= targets.goodput;
section(
	`Overload, Node: ${clients} clients × ${capacity} GETs a second (demand ${clients * capacity}/s) against an origin accepting C = ${capacity}/s, retry 0`,
	table(['second', 'offered, without', 'goodput, without', 'offered, adaptiveThrottle()', 'goodput, adaptiveThrottle()'],
		without.perSecond.slice(0, seconds).map((row, second) => [second + 1, row.offered, row.ok, withPolicy.perSecond[second]?.offered, withPolicy.perSecond[second]?.ok])),
	[
		`After the first window (seconds ${from + 1}–${seconds}), mean per second: without, offered ${without.offered} and goodput ${without.goodput}; with adaptiveThrottle({ windowMs: ${windowMs} }) (k = ${k}), offered ${withPolicy.offered} (target ≤ 1.3 × k × C = ${targets.offered}) and goodput ${withPolicy.goodput} (target ≥ 0.8 × C = ${targets.goodput}) ${met ? '✓' : '✗'}.`,
		`What the clients met (their timers made ${without.demand} and ${withPolicy.demand} calls a second) — without: ${JSON.stringify(without.outcomes)}; with: ${JSON.stringify(withPolicy.outcomes)}.`,
	],
);

// (2) Chromium: five tabs, each under minRequests per window alone.
const tabs = 5;
const tabPeriodMs = 700; // 10 s windows: about 14 attempts per tab per window, under minRequests 20
const tabSeconds = quick ? 8 : 10;
const browser = await chromium.launch({ executablePath: findChromium(), args: chromiumArgs, headless: true });
const inTabs = async (names) => {
	const context = await browser.newContext();
	const pages = await Promise.all(names.map(async () => {
		const page = await context.newPage();
		await page.goto(`${origin}/`);
		await page.waitForFunction(() => 'bench' in globalThis);
		return page;
	}));
	await ask({ reset: { capacity: 1 } }, 'ok');
	const until = Date.now() + tabSeconds * 1000;
	const outcomes = await Promise.all(pages.map(async (page, index) => page.evaluate((options) => globalThis.bench.run(options), { name: names[index], periodMs: tabPeriodMs, until, minRequests: 20, windowMs: 10_000 })));
	const perSecond = await ask({ stats: true }, 'stats');
	await context.close();
	const refused = outcomes.reduce((sum, each) => sum + (each.THROTTLED ?? 0), 0);
	const sent = outcomes.reduce((sum, each) => sum + Object.values(each).reduce((a, b) => a + b, 0), 0);
	return { perSecond: perSecond.slice(0, tabSeconds), outcomes, refused, sent, offered: perSecond.slice(0, tabSeconds).reduce((sum, { offered }) => sum + offered, 0) };
};

const shared = await inTabs(Array(tabs).fill('bench-tabs'));
const apart = await inTabs(Array.from({ length: tabs }, (_, index) => `bench-tab-${index}`));
await browser.close();
section(
	`Chromium: ${tabs} tabs × one GET every ${tabPeriodMs} ms (about ${Math.round(10_000 / tabPeriodMs)} per 10 s window each, minRequests 20) against an origin accepting 1/s`,
	table(['second', 'offered, one name (shared)', 'offered, five names'], shared.perSecond.map((row, second) => [second + 1, row.offered, apart.perSecond[second]?.offered])),
	[`Over ${tabSeconds} s: one name — ${shared.sent} calls, ${shared.refused} refused locally, ${shared.offered} reached the origin; five names — ${apart.sent} calls, ${apart.refused} refused, ${apart.offered} reached it.`],
);

child.disconnect();
rmSync(pageDir, { recursive: true, force: true });
writeResult({
	settings: { capacity, k, clients, windowMs, seconds, measuredFrom: from + 1 },
	without, with: withPolicy, targets, met,
	tabs: { count: tabs, periodMs: tabPeriodMs, seconds: tabSeconds, shared: { sent: shared.sent, refused: shared.refused, offered: shared.offered }, apart: { sent: apart.sent, refused: apart.refused, offered: apart.offered } },
});
