// Happy-path overhead (Node): raw fetch, ky, ky with a hand-written copy (an `afterResponse` hook
// keeping each good GET's bytes in a Map, bench/lib/hand-copy.mjs), ofetch, `steadfetch/core` with no
// policy and the main entry with its defaults (breaker, retry budget, stale cache → memoryStore), against a keep-alive
// loopback origin in another process, 16 calls in flight, on two workloads: GETs that repeat 64 URLs,
// and GETs of a URL never seen before (every response is a new cache entry). Each client runs its batch in
// turn within a round; the order rotates (and reverses) from round to round so drift and GC debt
// do not favour one client; warm-up rounds are not counted; the figure is the median over rounds.
// Every call reads its JSON body. Run with --expose-gc (run.mjs does): a GC before each batch.
import ky from 'ky';
import { ofetch } from 'ofetch';
import { steadfetch, steadfetchCore, steadfetchPolicies, steadfetchTrace } from './lib/library.mjs';

const { createClient, memoryStore, outbox } = steadfetch;
import { quick, writeResult } from './lib/args.mjs';
import { handCopy } from './lib/hand-copy.mjs';
import { drive, sleep } from './lib/drive.mjs';
import { median, round } from './lib/stats.mjs';
import { section, table } from './lib/table.mjs';
import { startOrigin } from './lib/spawn-origin.mjs';

const concurrency = 16;
const argValue = (name) => process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined;
const perBatch = quick ? 500 : 2000;
const warmupRounds = quick ? 1 : 2;
// `--rounds N` (not in `npm run bench`): more rounds for a steadier median.
const rounds = Number(argValue('--rounds') ?? (quick ? 5 : 9));
const distinctUrls = 64;

const origin = await startOrigin({ bodyBytes: 256 });
const urls = Array.from({ length: distinctUrls }, (_, index) => `${origin.url}/item/${index}`);

const kyClient = ky.create({});
const kyCopy = handCopy(ky);
const api = createClient({ name: 'bench-overhead', store: memoryStore });
const core = steadfetchCore.createClient({});
let events = 0;
for (const type of ['cache:stored', 'retry', 'breaker:open', 'storage:error']) {
	api.on(type, () => {
		events++;
	});
}

/** Each resolves with the parsed body. */
const clients = {
	fetch: async (url) => {
		const response = await fetch(url);
		if (!response.ok) {
			throw new Error(`HTTP ${response.status}`);
		}

		return response.json();
	},
	ky: async (url) => kyClient.get(url).json(),
	'ky + copy': async (url) => kyCopy.get(url).json(),
	ofetch: async (url) => ofetch(url),
	core: async (url) => core.get(url).json(),
	steadfetch: async (url) => api.get(url).json(),
};
// `trace()` on the core: a request id and a traceparent per attempt (issue 16: ≤ 1.03× the core without it).
const traced = steadfetchCore.createClient({ trace: steadfetchTrace.trace({ propagateTo: '*' }) });
clients['core + trace'] = async (url) => traced.get(url).json();
// Each traffic policy alone on the core (`steadfetch/core` + `bulkhead()`, ...): what it costs per call.
for (const [name, make] of Object.entries(steadfetchPolicies)) {
	const client = steadfetchCore.createClient({ [name]: make() });
	clients[`core + ${name}()`] = async (url) => client.get(url).json();
}

// `--breakdown` (not in `npm run bench`): steadfetch with one feature off at a time, and all off.
if (process.argv.includes('--breakdown')) {
	const variants = {
		'steadfetch cache off': { staleCache: false },
		'steadfetch breaker off': { breaker: false },
		'steadfetch outbox on': { outbox: outbox() },
		'steadfetch all off': { staleCache: false, breaker: false, outbox: false, retryBudget: false },
	};
	for (const [name, options] of Object.entries(variants)) {
		const variant = createClient({ name: `bench-${name}`, store: memoryStore, ...options });
		variant.on('cache:stored', () => undefined);
		clients[name] = async (url) => variant.get(url).json();
	}
}

// `--baseline <path of another build's dist/index.js>` (not in `npm run bench`): that build's core and
// defaults side by side with this one's, in the same rounds (a before/after on one machine state).
const baseline = argValue('--baseline');
if (baseline) {
	const { pathToFileURL } = await import('node:url');
	const before = await import(pathToFileURL(baseline).href);
	const beforeCore = await import(new URL('core.js', pathToFileURL(baseline)).href);
	const beforeApi = before.createClient({ name: 'bench-overhead-baseline', store: before.memoryStore });
	for (const type of ['cache:stored', 'retry', 'breaker:open', 'storage:error']) {
		beforeApi.on(type, () => undefined);
	}

	const beforeCoreClient = beforeCore.createClient({});
	clients['baseline core'] = async (url) => beforeCoreClient.get(url).json();
	clients['baseline steadfetch'] = async (url) => beforeApi.get(url).json();
}

// `--clients a,b,c` (not in `npm run bench`): only these (ky and the ones the ratios need are kept).
const only = argValue('--clients')?.split(',');
if (only) {
	for (const name of Object.keys(clients)) {
		if (!only.includes(name) && !['ky', 'ky + copy', 'fetch', 'core', 'steadfetch', 'core + trace', 'baseline core', 'baseline steadfetch'].includes(name)) {
			delete clients[name];
		}
	}
}

const names = Object.keys(clients);

let fresh = 0;
/** The URL of the index-th call of a batch: one of 64, or one never requested before. */
const workloads = {
	repeated: (index) => urls[index % distinctUrls],
	distinct: () => `${origin.url}/item/new-${fresh++}`,
};
let urlOf = workloads.repeated;

const batch = async (name) => {
	globalThis.gc?.();
	await sleep(20);
	const call = clients[name];
	const ms = await drive(perBatch, concurrency, async (index) => call(urlOf(index)));
	await sleep(20); // Let write-behind work finish inside this client's turn, not the next one's.
	return (ms * 1000) / perBatch;
};

const orderOf = (index) => {
	const rotated = names.map((_, at) => names[(at + index) % names.length]);
	return index % 2 === 0 ? rotated : rotated.reverse();
};

/** Warm-up rounds, then `rounds` alternating rounds: µs per request of each client, per round. */
const measure = async () => {
	for (let index = 0; index < warmupRounds; index++) {
		for (const name of orderOf(index)) {
			await batch(name);
		}
	}

	const samples = Object.fromEntries(names.map((name) => [name, []]));
	const orders = [];
	for (let index = 0; index < rounds; index++) {
		const order = orderOf(index);
		orders.push(order.join(' → '));
		for (const name of order) {
			samples[name].push(await batch(name));
		}
	}
	return { samples, orders };
};

const results = {};
// `--workload repeated|distinct` (not in `npm run bench`): measure one workload only.
const onlyWorkload = argValue('--workload');
for (const [workload, pick] of Object.entries(workloads).filter(([name]) => !onlyWorkload || name === onlyWorkload)) {
	urlOf = pick;
	results[workload] = await measure();
}

await origin.close();
api.close();

const targets = { core: 1.03, trace: 1.03, steadfetch: { repeated: 1.10, distinct: 1.25 }, copy: 1.15 };
const summary = {};
for (const [workload, { samples, orders }] of Object.entries(results)) {
	const medians = Object.fromEntries(names.map((name) => [name, median(samples[name])]));
	const pairedRatio = (name, base) => median(samples[name].map((value, index) => value / samples[base][index]));
	const rows = names.map((name) => [
		name === 'steadfetch' ? 'steadfetch (defaults: breaker, budget, cache → memoryStore)' : name === 'core' ? 'steadfetch/core (no policy)' : name,
		round(medians[name]),
		`${round(Math.min(...samples[name]))}–${round(Math.max(...samples[name]))}`,
		`${(medians[name] / medians.ky).toFixed(3)}×`,
		`${(medians[name] / medians['ky + copy']).toFixed(3)}×`,
		`${(medians[name] / medians.fetch).toFixed(3)}×`,
	]);
	const copyRatio = medians.steadfetch / medians['ky + copy'];
	const ratio = medians.steadfetch / medians.ky;
	const coreRatio = medians.core / medians.ky;
	const traceRatio = medians['core + trace'] / medians.core;
	const target = targets.steadfetch[workload];
	section(
		`Happy-path overhead, ${workload === 'repeated' ? `GETs over ${distinctUrls} URLs` : 'every GET a URL never seen before'} (Node ${process.version}, ${concurrency} in flight, ${perBatch} GETs per batch, median of ${rounds} alternating rounds after ${warmupRounds} warm-up)`,
		table(['client', 'µs / request', 'range over rounds', 'vs ky', 'vs ky + copy', 'vs fetch'], rows),
		[
			`steadfetch ÷ ky: ${ratio.toFixed(3)}× (paired per round: ${pairedRatio('steadfetch', 'ky').toFixed(3)}×); target ≤ ${target}× ${ratio <= target ? '✓' : '✗ ABOVE TARGET'}`,
			`steadfetch ÷ ky + copy (an afterResponse hook keeping each good GET's bytes in a Map): ${copyRatio.toFixed(3)}× (paired: ${pairedRatio('steadfetch', 'ky + copy').toFixed(3)}×)${workload === 'distinct' ? `; target ≤ ${targets.copy}× ${copyRatio <= targets.copy ? '✓' : '✗ ABOVE TARGET'}` : ''}`,
			`steadfetch/core ÷ ky: ${coreRatio.toFixed(3)}× (paired: ${pairedRatio('core', 'ky').toFixed(3)}×); target ≤ ${targets.core}× ${coreRatio <= targets.core ? '✓' : '✗ ABOVE TARGET'}`,
			`core + trace ÷ core: ${traceRatio.toFixed(3)}× (paired: ${pairedRatio('core + trace', 'core').toFixed(3)}×); target ≤ ${targets.trace}× ${traceRatio <= targets.trace ? '✓' : '✗ ABOVE TARGET'}`,
			...(baseline ? [`baseline (${baseline}) core ÷ ky: ${(medians['baseline core'] / medians.ky).toFixed(3)}× (paired: ${pairedRatio('baseline core', 'ky').toFixed(3)}×); baseline steadfetch ÷ ky: ${(medians['baseline steadfetch'] / medians.ky).toFixed(3)}× (paired: ${pairedRatio('baseline steadfetch', 'ky').toFixed(3)}×)`] : []),
		],
	);
	summary[workload] = {
		orders,
		usPerRequest: Object.fromEntries(names.map((name) => [name, { median: round(medians[name]), rounds: samples[name].map(round) }])),
		ratio: {
			steadfetchToKy: round(ratio),
			steadfetchToKyPaired: round(pairedRatio('steadfetch', 'ky')),
			steadfetchToCopy: round(copyRatio),
			steadfetchToCopyPaired: round(pairedRatio('steadfetch', 'ky + copy')),
			copyToKy: round(medians['ky + copy'] / medians.ky),
			coreToKy: round(coreRatio),
			coreToKyPaired: round(pairedRatio('core', 'ky')),
			traceToCore: round(traceRatio),
			traceToCorePaired: round(pairedRatio('core + trace', 'core')),
			steadfetchToFetch: round(medians.steadfetch / medians.fetch),
			kyToFetch: round(medians.ky / medians.fetch),
		},
		target: { steadfetchToKy: target, coreToKy: targets.core, ...(workload === 'distinct' ? { steadfetchToCopy: targets.copy } : {}), met: ratio <= target && coreRatio <= targets.core && (workload !== 'distinct' || copyRatio <= targets.copy) },
	};
}

console.log(`(events delivered to the listener: ${events})`);
writeResult({
	name: 'overhead',
	settings: { concurrency, perBatch, warmupRounds, rounds, distinctUrls, bodyBytes: 256 },
	...summary.repeated ?? summary.distinct,
	distinct: summary.distinct,
});
