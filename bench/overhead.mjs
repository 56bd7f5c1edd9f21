// Happy-path overhead (Node): raw fetch, ky, ofetch and steadfetch with every feature on, against a
// keep-alive loopback origin in another process, 16 calls in flight. Each client runs its batch in
// turn within a round; the order rotates (and reverses) from round to round so drift and GC debt
// do not favour one client; warm-up rounds are not counted; the figure is the median over rounds.
// Every call reads its JSON body. Run with --expose-gc (run.mjs does): a GC before each batch.
import ky from 'ky';
import { ofetch } from 'ofetch';
import { steadfetch } from './lib/library.mjs';

const { createClient, memoryStore } = steadfetch;
import { quick, writeResult } from './lib/args.mjs';
import { drive, sleep } from './lib/drive.mjs';
import { median, round } from './lib/stats.mjs';
import { section, table } from './lib/table.mjs';
import { startOrigin } from './lib/spawn-origin.mjs';

const concurrency = 16;
const perBatch = quick ? 500 : 2000;
const warmupRounds = quick ? 1 : 2;
const rounds = quick ? 5 : 9;
const distinctUrls = 64;

const origin = await startOrigin({ bodyBytes: 256 });
const urls = Array.from({ length: distinctUrls }, (_, index) => `${origin.url}/item/${index}`);

const kyClient = ky.create({});
const api = createClient({ name: 'bench-overhead', store: memoryStore, outbox: true });
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
	ofetch: async (url) => ofetch(url),
	steadfetch: async (url) => api.get(url).json(),
};
// `--breakdown` (not in `npm run bench`): steadfetch with one feature off at a time, and all off.
if (process.argv.includes('--breakdown')) {
	const variants = {
		'steadfetch cache off': { cache: false },
		'steadfetch breaker off': { breaker: false },
		'steadfetch outbox off': { outbox: false },
		'steadfetch all off': { cache: false, breaker: false, outbox: false, retryBudget: false },
	};
	for (const [name, options] of Object.entries(variants)) {
		const variant = createClient({ name: `bench-${name}`, store: memoryStore, outbox: true, ...options });
		variant.on('cache:stored', () => undefined);
		clients[name] = async (url) => variant.get(url).json();
	}
}

const names = Object.keys(clients);

const batch = async (name) => {
	globalThis.gc?.();
	await sleep(20);
	const call = clients[name];
	const ms = await drive(perBatch, concurrency, async (index) => call(urls[index % distinctUrls]));
	await sleep(20); // Let write-behind work finish inside this client's turn, not the next one's.
	return (ms * 1000) / perBatch;
};

const orderOf = (index) => {
	const rotated = names.map((_, at) => names[(at + index) % names.length]);
	return index % 2 === 0 ? rotated : rotated.reverse();
};

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

await origin.close();
api.close();

const medians = Object.fromEntries(names.map((name) => [name, median(samples[name])]));
const pairedRatio = (name, base) => median(samples[name].map((value, index) => value / samples[base][index]));
const rows = names.map((name) => [
	name === 'steadfetch' ? 'steadfetch (breaker, budget, cache → memoryStore, outbox, events)' : name,
	round(medians[name]),
	`${round(Math.min(...samples[name]))}–${round(Math.max(...samples[name]))}`,
	`${(medians[name] / medians.ky).toFixed(3)}×`,
	`${(medians[name] / medians.fetch).toFixed(3)}×`,
]);
const ratio = medians.steadfetch / medians.ky;
const target = 1.05;
section(
	`Happy-path overhead (Node ${process.version}, ${concurrency} in flight, ${perBatch} GETs per batch, median of ${rounds} alternating rounds after ${warmupRounds} warm-up)`,
	table(['client', 'µs / request', 'range over rounds', 'vs ky', 'vs fetch'], rows),
	[
		`steadfetch ÷ ky: ${ratio.toFixed(3)}× (paired per round: ${pairedRatio('steadfetch', 'ky').toFixed(3)}×); target ≤ ${target}× ${ratio <= target ? '✓' : '✗ ABOVE TARGET'}`,
		`(events delivered to the listener: ${events})`,
	],
);

writeResult({
	name: 'overhead',
	settings: { concurrency, perBatch, warmupRounds, rounds, distinctUrls, bodyBytes: 256 },
	orders,
	usPerRequest: Object.fromEntries(names.map((name) => [name, { median: round(medians[name]), rounds: samples[name].map(round) }])),
	ratio: {
		steadfetchToKy: round(ratio),
		steadfetchToKyPaired: round(pairedRatio('steadfetch', 'ky')),
		steadfetchToFetch: round(medians.steadfetch / medians.fetch),
		kyToFetch: round(medians.ky / medians.fetch),
		ofetchToFetch: round(medians.ofetch / medians.fetch),
	},
	target: { steadfetchToKy: target, met: ratio <= target },
});
