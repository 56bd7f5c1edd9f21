/**
 * `cacheApiStore` across real request contexts of one Worker isolate: one store instance serves
 * every request; nothing one request started (an open, a write) is awaited by another.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startWorkers, type Harness } from './harness.js';

let harness: Harness;
let logFrom = 0;

beforeAll(async () => {
	harness = await startWorkers({ store: { file: join(import.meta.dirname, 'workers/store.js') } });
}, 60_000);

afterAll(async () => {
	await harness?.dispose();
});

beforeEach(async () => {
	logFrom = harness.log.length;
});

afterEach(async () => {
	await new Promise((resolve) => setTimeout(resolve, 200));
	// The Worker leaves writes running on purpose (`wait=0`): workerd cancels them with their request.
	expect(harness.crossRequestWarnings(logFrom, { allowDropped: true })).toEqual([]);
});

const call = async (path: string) => harness.json<{ value?: unknown; hung?: boolean; error?: string; started?: boolean }>('store', path);

describe('cacheApiStore in real request contexts', () => {
	it('the first operation of the isolate left running by a request that ended: a write in a later request still settles', async () => {
		// A fresh isolate: its first operation opens the cache, in a request that ends at once.
		const own = await startWorkers({ store: { file: join(import.meta.dirname, 'workers/store.js') } });
		try {
			expect(await own.json('store', '/set?key=first&value=1&wait=0')).toEqual({ started: true });
			expect(await own.json('store', '/set?key=second&value=2')).toEqual({ value: null });
			expect(await own.json('store', '/get?key=second')).toMatchObject({ value: { value: '2' } });
			expect(own.crossRequestWarnings(0, { allowDropped: true })).toEqual([]);
		} finally {
			await own.dispose();
		}
	}, 30_000);

	it('writes left running by requests that ended do not hold up the writes of later requests', async () => {
		for (let index = 0; index < 3; index++) {
			expect(await call(`/set?key=left${index}&value=${index}&wait=0`)).toEqual({ started: true });
			expect(await call(`/set?key=after${index}&value=${index}`)).toEqual({ value: null });
		}

		expect((await call('/keys')).value).toEqual(expect.arrayContaining(['after0', 'after1', 'after2']));
		expect(await call('/get?key=after1')).toEqual({ value: { value: '1', bytes: { 0: 1, 1: 2, 2: 3 } } });
		expect(await call('/delete?key=after1')).toEqual({ value: null });
		expect((await call('/keys')).value).not.toContain('after1');
		expect(await call('/get?key=after1')).toEqual({ value: null });
	});
});
