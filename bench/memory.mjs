// Memory (Node, run with --expose-gc): heapUsed after GC once 10,000 and then 100,000 GETs have gone
// through one client with the stale cache on (defaults: maxEntries 500, memory store), over 10,000
// distinct URLs with 1 KiB bodies, 16 in flight. If anything were kept per distinct URL, the heap
// would grow by megabytes between the two checkpoints (10,000 URLs × ≥ 1 KiB); bounded, it does not.
import { steadfetch } from './lib/library.mjs';

const { createClient, memoryStore } = steadfetch;
import { quick, writeResult } from './lib/args.mjs';
import { drive, sleep } from './lib/drive.mjs';
import { round } from './lib/stats.mjs';
import { section, table } from './lib/table.mjs';
import { startOrigin } from './lib/spawn-origin.mjs';

if (typeof globalThis.gc !== 'function') {
	console.error('memory.mjs needs node --expose-gc');
	process.exit(1);
}

const distinct = 10_000;
const bodyBytes = 1024;
const checkpoints = quick ? [2000, 20_000] : [10_000, 100_000];
const maxEntries = 500;
const growthLimitBytes = 2 * 2 ** 20;

const origin = await startOrigin({ bodyBytes });
const stores = new Map();
const api = createClient({
	name: 'bench-memory',
	store: (namespace) => {
		const store = memoryStore(namespace);
		stores.set(namespace, store);
		return store;
	},
});
let stored = 0;
api.on('cache:stored', () => {
	stored++;
});

const heap = async () => {
	await sleep(200); // Write-behind of the last responses.
	for (let index = 0; index < 3; index++) {
		globalThis.gc();
		await sleep(10);
	}

	return process.memoryUsage().heapUsed;
};

const cacheKeys = async () => (await stores.get('bench-memory/cache')?.keys())?.length ?? 0;

await drive(100, 16, async (index) => api.get(`${origin.url}/item/${index}`).json());
const rows = [];
const points = [];
const base = await heap();
points.push({ calls: 100, heapUsed: base, storedKeys: await cacheKeys() });
// Bounded in time: past maxSeconds the run stops at a 5,000-call boundary and reports that point.
const maxSeconds = Number(process.env.BENCH_MEMORY_MAX_S ?? 600);
const startedAt = performance.now();
let stoppedEarly = false;
let done = 100;
for (const target of checkpoints) {
	while (done < target && !stoppedEarly) {
		const chunk = Math.min(5000 - (done % 5000), target - done);
		const from = done;
		await drive(chunk, 16, async (index) => api.get(`${origin.url}/item/${(from + index) % distinct}`).json());
		done += chunk;
		stoppedEarly = done < target && (performance.now() - startedAt) / 1000 > maxSeconds;
	}

	points.push({ calls: done, heapUsed: await heap(), storedKeys: await cacheKeys() });
	if (stoppedEarly) {
		break;
	}
}

const seconds = Math.round((performance.now() - startedAt) / 1000);

api.close();
await origin.close();

const mib = (bytes) => round(bytes / 2 ** 20);
for (const point of points) {
	rows.push([point.calls.toLocaleString('en-US'), mib(point.heapUsed), `${mib(point.heapUsed - base) >= 0 ? '+' : ''}${mib(point.heapUsed - base)}`, point.storedKeys]);
}

const first = points[1];
const last = points.at(-1);
const growth = last.heapUsed - first.heapUsed;
const bounded = growth < growthLimitBytes && points.every((point) => point.storedKeys <= maxEntries + 1);
section(
	`Memory: one client, cache on (maxEntries ${maxEntries}, memory store), ${distinct.toLocaleString('en-US')} distinct URLs, ${bodyBytes} B bodies (heapUsed after GC, MiB)`,
	table(['calls', 'heapUsed', 'vs after 100 calls', 'cache store keys (records + index)'], rows),
	[
		`Growth from ${first.calls.toLocaleString('en-US')} to ${last.calls.toLocaleString('en-US')} calls: ${mib(growth)} MiB (limit ${mib(growthLimitBytes)} MiB; unbounded, ${(distinct - maxEntries).toLocaleString('en-US')} more entries would add > ${mib((distinct - maxEntries) * bodyBytes)} MiB of bodies alone) ${bounded ? '✓ bounded' : '✗ NOT BOUNDED'}`,
		`(cache:stored events: ${stored}; ${seconds} s, ${round((seconds * 1e6) / done)} µs per call${stoppedEarly ? `; STOPPED EARLY after ${maxSeconds} s (BENCH_MEMORY_MAX_S) at ${done.toLocaleString('en-US')} calls` : ''})`,
	],
);

writeResult({
	name: 'memory',
	settings: { distinctUrls: distinct, bodyBytes, maxEntries, concurrency: 16 },
	points: points.map((point) => ({ ...point, heapUsedMiB: mib(point.heapUsed) })),
	growthMiB: mib(growth),
	growthLimitMiB: mib(growthLimitBytes),
	bounded,
	seconds,
	stoppedEarly,
});
