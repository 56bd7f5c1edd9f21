// Size report: min+brotli (quality 11) of real consumer programs, bundled with esbuild (minify,
// ESM, es2022, platform browser) from the built package (dist/, through the package's own `exports`,
// as a user's bundler resolves `steadfetch/core`), next to ky alone and to the packages one would
// combine instead. No stubs: each case imports what a user would import. `--check` enforces the
// budgets (exit 1 when one is exceeded); `--json` prints the figures as JSON.
import { build } from 'esbuild';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants } from 'node:zlib';

if (!existsSync('dist/core.js')) {
	console.error('dist/ is missing: run `npm run build` first.');
	process.exit(1);
}

/**
 * Each case: a consumer file, and its budget in bytes (min+brotli, ky and idb-keyval bundled in):
 * the figures of the day they were set (2026-11-23) plus ~1 % headroom, so growth fails the check and has to be
 * argued for. `issue` is the target of issue #11, shown for comparison.
 */
const cases = [
	{
		name: 'steadfetch/core',
		source: "import { createClient } from 'steadfetch/core';\nexport const api = createClient();",
		budget: 16_180, issue: 11_000,
	},
	{
		name: 'core + breaker()',
		source: "import { createClient } from 'steadfetch/core';\nimport { breaker } from 'steadfetch/breaker';\nexport const api = createClient({ breaker: breaker() });",
		budget: 20_460, issue: 13_000,
	},
	{
		name: 'core + breaker() + staleCache()',
		source: "import { createClient } from 'steadfetch/core';\nimport { breaker } from 'steadfetch/breaker';\nimport { staleCache } from 'steadfetch/cache';\nexport const api = createClient({ breaker: breaker(), cache: staleCache() });",
		budget: 25_640, issue: 15_500,
	},
	{
		name: 'core + outbox()',
		source: "import { createClient } from 'steadfetch/core';\nimport { outbox } from 'steadfetch/outbox';\nexport const api = createClient({ outbox: outbox() });",
		budget: 22_460,
	},
	{
		name: 'core + bulkhead()',
		source: "import { createClient } from 'steadfetch/core';\nimport { bulkhead } from 'steadfetch/bulkhead';\nexport const api = createClient({ bulkhead: bulkhead() });",
		budget: 16_620, policy: true,
	},
	{
		name: 'core + dedupe()',
		source: "import { createClient } from 'steadfetch/core';\nimport { dedupe } from 'steadfetch/dedupe';\nexport const api = createClient({ dedupe: dedupe() });",
		budget: 16_580, policy: true,
	},
	{
		name: 'core + rateLimit()',
		source: "import { createClient } from 'steadfetch/core';\nimport { rateLimit } from 'steadfetch/rate-limit';\nexport const api = createClient({ rateLimit: rateLimit() });",
		// Its own budget alone: 1,400 B (pacing waiters one at a time, whole RateLimit fields).
		budget: 17_550, policy: 1_400,
	},
	{
		name: 'core + hedge()',
		source: "import { createClient } from 'steadfetch/core';\nimport { hedge } from 'steadfetch/hedge';\nexport const api = createClient({ hedge: hedge() });",
		budget: 16_780, policy: true,
	},
	{
		name: 'core + failover()',
		source: "import { createClient } from 'steadfetch/core';\nimport { failover } from 'steadfetch/failover';\nexport const api = createClient({ failover: failover({ mirrors: { 'https://a.example': ['https://b.example'] } }) });",
		budget: 16_900, policy: true,
	},
	{
		name: 'core + auth()',
		source: "import { createClient } from 'steadfetch/core';\nimport { auth } from 'steadfetch/auth';\nexport const api = createClient({ auth: auth({ token: () => 't', refresh: () => undefined }) });",
		budget: 17_050, policy: true,
	},
	{
		name: 'core + otel()',
		source: "import { createClient } from 'steadfetch/core';\nimport { otel } from 'steadfetch/otel';\nimport { trace } from '@opentelemetry/api';\nexport const api = createClient({ trace: otel({ tracer: trace.getTracer('app') }) });",
		budget: 16_880, policy: true,
	},
	{
		name: 'core + breaker({ shared }) (cloudflare)',
		source: "import { createClient } from 'steadfetch/core';\nimport { breaker } from 'steadfetch/breaker';\nimport { coordinator } from 'steadfetch/cloudflare';\nexport { BreakerCoordinator } from 'steadfetch/cloudflare';\nexport const make = (env) => createClient({ breaker: breaker({ shared: coordinator(env.STEADFETCH) }) });",
		budget: 21_820, platform: 'neutral', conditions: ['workerd', 'worker', 'browser'],
	},
	{
		name: 'core + breaker({ shared }) (deno)',
		source: "import { createClient } from 'steadfetch/core';\nimport { breaker } from 'steadfetch/breaker';\nimport { coordinator, denoKvStore } from 'steadfetch/deno';\nexport const make = (kv) => createClient({ store: denoKvStore(kv), breaker: breaker({ shared: coordinator(kv) }) });",
		budget: 21_740, platform: 'neutral', conditions: ['deno'],
	},
	{
		name: 'steadfetch + fetchHandler (a service worker)',
		source: "import { createClient } from 'steadfetch';\nimport { fetchHandler, outboxSyncHandler } from 'steadfetch/sw';\nconst api = createClient({ outbox: true });\nexport const handle = fetchHandler(api, { match: () => true });\nexport const sync = outboxSyncHandler(api);",
		budget: 35_030,
	},
	{
		name: 'steadfetch (the preset: every policy)',
		source: "import { createClient, isStale, outboxSyncHandler } from 'steadfetch';\nexport const api = createClient({ outbox: true });\nexport { isStale, outboxSyncHandler };",
		budget: 34_580, issue: 18_000,
	},
];

const brotli = (bytes) => brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;

// Consumer files live inside the package, so `steadfetch/...` resolves by the package's self-reference
// to its `exports`, exactly as it resolves from a user's node_modules.
const dir = join('bench', 'tmp', 'size');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

const bundle = async (name, source, external = [], platform = 'browser', conditions = []) => {
	const file = join(dir, `${name.replaceAll(/\W+/g, '-')}.js`);
	writeFileSync(file, source);
	const result = await build({
		entryPoints: [file], bundle: true, minify: true, format: 'esm', write: false, platform, conditions, target: 'es2022',
		// The app's own OpenTelemetry API is not ours to count (an optional peer dependency).
		external: [...external, '@opentelemetry/api', 'cloudflare:*'], metafile: true, logLevel: 'error',
	});
	const bytes = result.outputFiles[0].contents;
	return { minified: bytes.length, brotli: brotli(bytes), metafile: result.metafile };
};

const rows = [];
for (const { name, source, budget, issue, platform, conditions } of cases) {
	const withDeps = await bundle(name, source, [], platform, conditions);
	const own = await bundle(`${name}-own`, source, ['ky', 'idb-keyval'], platform, conditions);
	rows.push({ name, withDeps, own, budget, issue });
}

const ky = await bundle('ky', "export * from 'ky'; export { default } from 'ky';");
const alternatives = await bundle('alternatives', ["export * from 'ky'; export { default } from 'ky';", "export * from 'cockatiel';", "export * from 'workbox-background-sync';", "export * from 'workbox-strategies';", "export * from 'idb-keyval';"].join('\n'));
rmSync(dir, { recursive: true, force: true });

const over = [];
const pad = (value, width) => String(value).padStart(width);
console.log('min+brotli (q11), bytes, of a consumer file bundled from dist/ with esbuild; "with deps" = ky and idb-keyval bundled in, "ours" = them external\n');
console.log(`${'consumer imports'.padEnd(36)} ${pad('with deps', 10)} ${pad('budget', 7)} ${pad('issue', 7)}  ${pad('ours', 6)} ${pad('ours min', 9)}`);
for (const row of rows) {
	const exceeded = row.withDeps.brotli > row.budget;
	if (exceeded) {
		over.push(`${row.name}: ${row.withDeps.brotli} B > ${row.budget} B`);
	}

	console.log(`${row.name.padEnd(36)} ${pad(row.withDeps.brotli, 10)} ${pad(row.budget, 7)} ${pad(row.issue ?? '-', 7)}  ${pad(row.own.brotli, 6)} ${pad(row.own.minified, 9)}  ${exceeded ? '✗ OVER' : '✓'}`);
}

// A policy alone: its consumer minus the core's, both bundled with their dependencies.
const coreAlone = rows[0].withDeps.brotli;
for (const row of rows.filter((row) => cases.find((item) => item.name === row.name)?.policy)) {
	const alone = row.withDeps.brotli - coreAlone;
	// `policy: true` is the common 1,200 B; a number is that policy's own budget.
	const own = cases.find((item) => item.name === row.name).policy;
	const policyBudget = typeof own === 'number' ? own : 1_200;
	if (alone > policyBudget) {
		over.push(`${row.name} alone: ${alone} B > ${policyBudget} B`);
	}

	console.log(`  ${row.name.replace('core + ', '').padEnd(34)} alone ${pad(alone, 6)} B (budget ${policyBudget}) ${alone > policyBudget ? '✗ OVER' : '✓'}`);
}

console.log(`${'ky alone'.padEnd(36)} ${pad(ky.brotli, 10)}`);
console.log(`${'ky + cockatiel + workbox-bg-sync'.padEnd(36)} ${pad(alternatives.brotli, 10)}`);
console.log('  + workbox-strategies + idb-keyval (export *)');

// What is biggest: minified bytes of our files in the bundle of the main entry.
const main = rows.at(-1).own;
const inputs = Object.values(main.metafile.outputs)[0].inputs;
console.log(`\nLargest files of ours in "${rows.at(-1).name}" (minified bytes before brotli, of ${main.minified} B):`);
for (const [path, { bytesInOutput }] of Object.entries(inputs).sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput).slice(0, 10)) {
	console.log(`  ${path.padEnd(40)} ${pad(bytesInOutput, 6)}`);
}

if (process.argv.includes('--json')) {
	console.log(JSON.stringify({
		rows: rows.map((row) => ({ name: row.name, brotliWithDeps: row.withDeps.brotli, brotli: row.own.brotli, minified: row.own.minified, budget: row.budget, issue: row.issue })),
		kyAlone: ky.brotli, alternatives: alternatives.brotli,
	}, null, '\t'));
}

if (process.argv.includes('--check') && over.length > 0) {
	console.error(`\nSize budget exceeded: ${over.join('; ')}`);
	process.exit(1);
}
