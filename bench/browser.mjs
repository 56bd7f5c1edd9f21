// In real Chromium (Playwright with Debian's Chromium): (1) the stale answer read from IndexedDB
// while the breaker is open; (2) outbox enqueue of 1,000 POSTs and their drain, steadfetch vs
// workbox-background-sync's Queue in the same page, to the same loopback origin (which also serves
// the page: same-origin, no CORS preflight for either). Both enqueue one call after another with no
// network attempt (steadfetch: the page reports offline; Workbox: pushRequest never sends), with
// the same JSON bodies, Content-Type and a distinct Idempotency-Key each; both drain one request
// at a time (steadfetch: outbox.flush(); Workbox: replayRequests()). Rounds alternate which goes
// first; each round uses fresh queues (new IndexedDB databases). The origin counts what arrived.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright';
import { quick, writeResult } from './lib/args.mjs';
import { chromiumArgs, findChromium } from './lib/chromium.mjs';
import { median, round, summarize } from './lib/stats.mjs';
import { section, table } from './lib/table.mjs';
import { startOrigin } from './lib/spawn-origin.mjs';

const staleUrls = 50;
const staleCalls = quick ? 100 : 500;
const count = Number(process.env.BENCH_COUNT ?? 0) || (quick ? 200 : 1000);
const rounds = 2;

const distPath = process.env.STEADFETCH_DIST ?? fileURLToPath(new URL('../dist/index.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'steadfetch-bench-page-'));
await build({
	entryPoints: [fileURLToPath(new URL('browser-page.mjs', import.meta.url))],
	bundle: true, format: 'esm', target: 'es2022', platform: 'browser', outfile: join(dir, 'page.js'),
	alias: { steadfetch: distPath },
	define: { 'process.env.NODE_ENV': '"production"' },
	logLevel: 'warning',
});
writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>steadfetch bench</title><script type="module" src="/page.js"></script>');

const origin = await startOrigin({ bodyBytes: 256, staticDir: dir });
const browser = await chromium.launch({ executablePath: findChromium(), args: chromiumArgs, headless: true });
const version = browser.version();
const context = await browser.newContext();
const page = await context.newPage();
const errors = [];
page.on('pageerror', (error) => errors.push(String(error)));
await page.goto(`${origin.url}/`);
await page.waitForFunction(() => 'bench' in globalThis);

if (process.argv.includes('--profile')) {
	// `node bench/browser.mjs --profile`: a CPU profile (Chrome DevTools protocol) of steadfetch's
	// enqueue of `count` POSTs, top functions by self time. Not part of `npm run bench`.
	const cdp = await context.newCDPSession(page);
	await cdp.send('Profiler.enable');
	await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
	await cdp.send('Profiler.start');
	const run = await page.evaluate(async (options) => globalThis.bench.steadfetchOutbox({ ...options, enqueueOnly: true }), { count, queue: 'profile' });
	const { profile } = await cdp.send('Profiler.stop');
	const self = new Map();
	profile.samples.forEach((id, index) => {
		self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
	});
	const byFunction = new Map();
	for (const node of profile.nodes) {
		const key = `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.split('/').pop()}:${node.callFrame.lineNumber + 1}`;
		byFunction.set(key, (byFunction.get(key) ?? 0) + (self.get(node.id) ?? 0));
	}

	const total = [...self.values()].reduce((sum, us) => sum + us, 0);
	console.log(`steadfetch enqueue of ${count}: ${round(run.enqueueMs)} ms; profile ${round(total / 1000)} ms sampled; bundle ${join(dir, 'page.js')}`);
	for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
		console.log(`${((us / total) * 100).toFixed(1).padStart(6)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`);
	}

	await browser.close();
	await origin.close();
	process.exit(0);
}

// (1) Stale answers from IndexedDB with the breaker open.
const warm = await page.evaluate(async (options) => globalThis.bench.staleWarm(options), { urls: staleUrls, calls: staleUrls * 4 });
await origin.setMode(503);
const stale = await page.evaluate(async (options) => globalThis.bench.staleMeasure(options), { urls: staleUrls, calls: staleCalls });
await origin.setMode('up');

// (2) Outbox: enqueue and drain, alternating which library goes first.
const runs = { steadfetch: [], workbox: [] };
for (let index = 0; index < rounds; index++) {
	const order = index % 2 === 0 ? ['steadfetch', 'workbox'] : ['workbox', 'steadfetch'];
	for (const name of order) {
		const queue = `${name === 'steadfetch' ? 'sf' : 'wb'}-${index}`;
		const run = await page.evaluate(async ({ name: which, options }) => globalThis.bench[which === 'steadfetch' ? 'steadfetchOutbox' : 'workboxOutbox'](options), { name, options: { count, queue } });
		const arrived = (await origin.stats())[queue] ?? { received: 0, distinctKeys: 0 };
		runs[name].push({ ...run, queue, received: arrived.received, distinctKeys: arrived.distinctKeys });
	}
}

await browser.close();
await origin.close();
rmSync(dir, { recursive: true, force: true });

if (errors.length > 0) {
	console.error('page errors:', errors);
}

const staleSummary = summarize(stale.durations);
const freshSummary = summarize(warm.durations);
section(
	`Chromium ${version}: stale answer from IndexedDB with the breaker open (ms per call, body read)`,
	table(['what', 'calls', 'median', 'p99', 'max', 'answers'], [
		['fresh answer from the loopback origin (for scale)', freshSummary.n, round(freshSummary.median), round(freshSummary.p99), round(freshSummary.max), '200 from the origin'],
		['stale answer, breaker open (no network I/O)', staleSummary.n, round(staleSummary.median), round(staleSummary.p99), round(staleSummary.max), Object.entries(stale.details).map(([detail, n]) => `${n} ${detail}`).join(', ')],
	]),
	[`${staleUrls} URLs stored (${warm.stored} cache:stored events); the breaker opened after ${stale.callsToOpen} failing calls (origin answering 503); breaker at the end: ${stale.breaker}.`],
);

const summaryOf = (list) => {
	const enqueue = list.flatMap((run) => run.enqueue);
	return {
		enqueueTotalMs: median(list.map((run) => run.enqueueMs)),
		enqueuePerOp: summarize(enqueue),
		enqueueFirst100Median: median(list.flatMap((run) => run.enqueue.slice(0, 100))),
		enqueueLast100Median: median(list.flatMap((run) => run.enqueue.slice(-100))),
		drainTotalMs: median(list.map((run) => run.drainMs)),
		delivered: list.map((run) => run.received),
		distinctKeys: list.map((run) => run.distinctKeys),
		remaining: list.map((run) => run.remaining),
		queued: list.map((run) => run.queued),
	};
};

const outbox = { steadfetch: summaryOf(runs.steadfetch), workbox: summaryOf(runs.workbox) };
const rows = ['steadfetch', 'workbox'].map((name) => {
	const s = outbox[name];
	return [
		name === 'steadfetch' ? 'steadfetch outbox' : 'workbox-background-sync Queue',
		round(s.enqueueTotalMs),
		round(s.enqueuePerOp.median),
		round(s.enqueuePerOp.p99),
		`${round(s.enqueueFirst100Median)} → ${round(s.enqueueLast100Median)}`,
		round(s.drainTotalMs),
		round(s.drainTotalMs / count),
		`${s.delivered.join('/')} (${s.distinctKeys.join('/')} keys)`,
	];
});
const ratio = outbox.steadfetch.enqueueTotalMs / outbox.workbox.enqueueTotalMs;
section(
	`Chromium ${version}: outbox of ${count.toLocaleString('en-US')} POSTs, enqueue then drain (median of ${rounds} alternating rounds; per-op figures over all rounds)`,
	table(['queue', `enqueue ${count} (ms)`, 'enqueue median/op', 'enqueue p99/op', 'median/op first → last 100', `drain ${count} (ms)`, 'drain ms/request', 'delivered per round'], rows),
	[`steadfetch enqueue ÷ Workbox enqueue: ${ratio.toFixed(2)}× — target ≤ 1 (at least as fast) ${ratio <= 1 ? '✓' : '✗ SLOWER THAN WORKBOX'}. Drain ÷: ${(outbox.steadfetch.drainTotalMs / outbox.workbox.drainTotalMs).toFixed(2)}×.`],
);

const roundAll = (summary) => Object.fromEntries(Object.entries(summary).map(([key, value]) => [key, round(value)]));
writeResult({
	name: 'browser',
	chromium: version,
	stale: { urls: staleUrls, fresh: roundAll(freshSummary), stale: roundAll(staleSummary), details: stale.details, callsToOpen: stale.callsToOpen, breaker: stale.breaker },
	outbox: {
		count, rounds,
		steadfetch: { ...outbox.steadfetch, enqueueTotalMs: round(outbox.steadfetch.enqueueTotalMs), drainTotalMs: round(outbox.steadfetch.drainTotalMs), enqueuePerOp: roundAll(outbox.steadfetch.enqueuePerOp), rounds: runs.steadfetch.map(({ enqueue, ...run }) => ({ ...run, enqueueMs: round(run.enqueueMs), drainMs: round(run.drainMs) })) },
		workbox: { ...outbox.workbox, enqueueTotalMs: round(outbox.workbox.enqueueTotalMs), drainTotalMs: round(outbox.workbox.drainTotalMs), enqueuePerOp: roundAll(outbox.workbox.enqueuePerOp), rounds: runs.workbox.map(({ enqueue, ...run }) => ({ ...run, enqueueMs: round(run.enqueueMs), drainMs: round(run.drainMs) })) },
		enqueueRatio: round(ratio),
		target: { enqueueAtLeastAsFastAsWorkbox: ratio <= 1 },
	},
	pageErrors: errors,
});
