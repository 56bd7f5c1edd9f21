// An outbox that stays fast as it grows (issue 50): `count` writes (default 10,000) queued one after
// another while the API refuses connections (the bench origin's listener closed), then drained once
// it is back (`flush()`), with the preset and `outbox()`: in real Chromium (IndexedDB, the default
// store in a page) and in Node (`memoryStore`). Prints the per-write ms of each tenth, for queuing
// (after the first write, which tries the network and is timed apart) and for draining (after the
// first delivery, which waits for the breaker opened meanwhile to let a probe through), and checks
// that the origin received every write once (distinct Idempotency-Keys).
//
//   node bench/outbox-scale.mjs [--count N] [--only node|chromium] [--quick]   (after `npm run build`)
//   npm run bench -- outbox-scale
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright';
import { quick, writeResult } from './lib/args.mjs';
import { chromiumArgs, findChromium } from './lib/chromium.mjs';
import { scaleRun } from './lib/outbox-scale-run.mjs';
import { section, table } from './lib/table.mjs';
import { startOrigin } from './lib/spawn-origin.mjs';

const argv = process.argv.slice(2);
const option = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const count = Number(option('--count') ?? 0) || (quick ? 1000 : 10_000);
const only = option('--only');
const distPath = process.env.STEADFETCH_DIST ?? fileURLToPath(new URL('../dist/index.js', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'steadfetch-bench-scale-'));
await build({
	entryPoints: [fileURLToPath(new URL('outbox-scale-page.mjs', import.meta.url))],
	bundle: true, format: 'esm', target: 'es2022', platform: 'browser', outfile: join(dir, 'page.js'),
	alias: { steadfetch: distPath },
	logLevel: 'warning',
});
writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>steadfetch outbox scale</title><script type="module" src="/page.js"></script>');
const origin = await startOrigin({ bodyBytes: 64, staticDir: dir });

/** Queue with the API refusing connections, then drain with it up; `run(options)` runs a phase where the client lives. */
const measure = async (label, run) => {
	await origin.reset();
	await origin.setMode('refuse');
	const queued = await run({ phase: 'queue', count, url: `${origin.url}/mut/${label}`, name: `scale-${label}` });
	await origin.setMode('up');
	const drained = await run({ phase: 'drain', count });
	const received = (await origin.stats())[label] ?? { received: 0, distinctKeys: 0 };
	console.log(`${label}: queued ${count} in ${queued.totalMs} ms (the first, which tried the network, in ${queued.firstWriteMs} ms) ${JSON.stringify(queued.outcomes)}, drained ${drained.sent} in ${drained.totalMs} ms (the first sent after ${drained.firstSentMs} ms); the origin received ${received.received} (${received.distinctKeys} distinct keys); storage:error by operation ${JSON.stringify(drained.storageErrors)}`);
	return { queued, drained, received, deliveredOnce: received.received === count && received.distinctKeys === count };
};

const results = {};
if (only !== 'chromium') {
	const steadfetch = await import(pathToFileURL(distPath).href);
	results.node = await measure('node', async (options) => scaleRun(steadfetch, { ...options, extra: { store: steadfetch.memoryStore } }));
}

if (only !== 'node') {
	const browser = await chromium.launch({ executablePath: findChromium(), args: chromiumArgs, headless: true });
	const page = await (await browser.newContext()).newPage();
	page.on('pageerror', (error) => console.error(`page error: ${error}`));
	page.on('console', (message) => console.log(message.text())); // The run's progress.
	await page.goto(`${origin.url}/`);
	await page.waitForFunction(() => 'scale' in globalThis);
	results.chromium = await measure('chromium', async (options) => page.evaluate(async (options) => globalThis.scale(options), options));
	results.chromium.version = browser.version();
	await browser.close();
}

await origin.close();
rmSync(dir, { recursive: true, force: true });
const rows = [];
for (const [where, { queued, drained }] of Object.entries(results)) {
	rows.push([`${where}: queue`, ...queued.perWriteMs, Math.round((queued.perWriteMs[9] / queued.perWriteMs[0]) * 100) / 100]);
	rows.push([`${where}: drain`, ...drained.perWriteMs, Math.round((drained.perWriteMs[9] / drained.perWriteMs[0]) * 100) / 100]);
}

section(`Outbox at scale: ms per write by tenth of ${count.toLocaleString('en-US')} writes (API refusing connections, then back)`,
	table(['', ...Array.from({ length: 10 }, (_, tenth) => `${tenth + 1}/10`), 'last ÷ first'], rows),
	Object.entries(results).map(([where, result]) => `${where}: every write delivered once: ${result.deliveredOnce ? 'yes ✓' : `NO ✗ (${result.received.received} received, ${result.received.distinctKeys} distinct)`}`));
writeResult({ count, ...results });
process.exit(Object.values(results).every((result) => result.deliveredOnce) ? 0 : 1);
