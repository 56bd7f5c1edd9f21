// The driver bench/store-path.mjs bundles from src/ and runs under callgrind: `count` writes after a
// warm-up of 20,000 (so every function is in its steady tier), instructions counted between READY and DONE.
import { partStore } from '../../src/core/part-store.js';
import type { PolicyContext } from '../../src/core/policy.js';
import { View } from '../../src/cache/view.js';
import { memoryStore } from '../../src/stores/memory.js';

const count = Number(process.argv[2]);

/** 16 operations in flight, as the instructions bench's calls. */
const inFlight = async (total: number, run: () => Promise<unknown>) => {
	let next = 0;
	await Promise.all(Array.from({ length: 16 }, async () => {
		while (next < total) {
			next++;
			await run();
		}
	}));
};

const context = { name: 'bench', options: { store: memoryStore }, stores: new Map(), emit: () => undefined } as unknown as PolicyContext;
const store = partStore(context, 'cache', memoryStore);
const view = new View(store, 500);
let key = 0;
const drive = async (total: number) => inFlight(total, async () => {
	// What the stale cache does per new URL behind the caller (cache/copy.ts): the record handed over, the view told, an eviction when full.
	const stored = `r:~~http://bench.test/item/${key++}`;
	const written = store.handOver(stored, { v: 2, url: stored.slice(4), status: 200, body: new ArrayBuffer(28) });
	view.stored(stored, key, undefined);
	await written;
	if (view.full) {
		await view.evict();
	}
});

await drive(20_000);
const lines = process.stdin;
console.log('READY');
await new Promise((resolve) => lines.once('data', resolve));
await drive(count);
console.log('DONE');
await new Promise((resolve) => lines.once('data', resolve));
process.exit(0);
