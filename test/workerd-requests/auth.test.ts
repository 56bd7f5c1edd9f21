/**
 * auth() across real request contexts of one Worker isolate (API.md "Request contexts"; issue 24):
 * one module-level client, each call its own `dispatchFetch`. A refresh started by a request that
 * ended early is a promise of that request: no later request may wait for it (workerd never settles
 * it there), so a later 401 refreshes in its own request.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { startWorkers, until, type Harness } from './harness.js';

let harness: Harness;
let origin: RunningServer;
let logFrom = 0;
const seen: string[] = [];
let release: () => void = () => undefined;
const held = new Promise<void>((resolve) => {
	release = resolve;
});

beforeAll(async () => {
	// `/data` wants `Bearer good`; `/refresh/ok` issues it; `/refresh/held` too, once `release()` is called.
	origin = await serve(async (request) => {
		const { pathname } = new URL(request.url);
		seen.push(`${pathname} ${request.headers.get('authorization')}`);
		if (pathname.startsWith('/refresh/')) {
			if (pathname === '/refresh/held') {
				await held;
			}

			if (pathname === '/refresh/slow') {
				await new Promise((resolve) => setTimeout(resolve, 300)); // every call's 401 comes while it runs
			}

			return Response.json({ token: 'good' });
		}

		return request.headers.get('authorization') === 'Bearer good' ? new Response('data') : new Response('expired', { status: 401 });
	});
	harness = await startWorkers({ auth: { file: join(import.meta.dirname, 'workers', 'auth.js') } });
}, 60_000);

afterAll(async () => {
	release();
	await harness?.dispose();
	await origin?.close();
});

beforeEach(() => {
	logFrom = harness.log.length;
});

afterEach(async () => {
	await new Promise((resolve) => setTimeout(resolve, 200));
	expect(harness.crossRequestWarnings(logFrom)).toEqual([]);
});

const get = async (query: string) => harness.json('auth', `/get?to=${encodeURIComponent(`${origin.url}/data`)}&${query}`);

describe('auth across requests', () => {
	it('a request that ended while its refresh ran holds no later request: the next 401 refreshes in its own request and is sent again', async () => {
		// Request A: a 401, then a refresh that does not answer; A ends after 300 ms, its refresh left behind.
		expect(await get(`refresh=${encodeURIComponent(`${origin.url}/refresh/held`)}&race=300`)).toEqual({ ended: true });
		await until(() => seen.includes('/refresh/held null'), 10_000, 'the first refresh to reach the origin');
		// Request B, later: its own 401 starts its own refresh (not A's, which can never settle here).
		expect(await get(`refresh=${encodeURIComponent(`${origin.url}/refresh/ok`)}`)).toEqual({ status: 200, body: 'data' });
		expect(await harness.json('auth', '/state')).toEqual({ token: 'good', refreshes: 2 });
		// And again, in a third request: nothing of A's sticks.
		await harness.json('auth', '/stale');
		expect(await get('')).toEqual({ status: 200, body: 'data' });
		expect(await harness.json('auth', '/state')).toEqual({ token: 'good', refreshes: 3 });
	}, 30_000);

	for (const mode of ['with', 'closure'] as const) {
		it(`a request that ended while its refresh ran (its calls ${mode === 'with' ? 'through withContext(ctx)' : 'with a per-call waitUntil'}) holds no later request of its own context: each later 401 refreshes and is sent again`, async () => {
			await harness.json('auth', '/stale');
			const before = (await harness.json<{ refreshes: number }>('auth', '/state')).refreshes;
			const held = seen.filter((line) => line === '/refresh/held null').length;
			// Request A: its call gets a 401 and starts a refresh that does not answer; A ends after 300 ms.
			expect(await get(`ctx=${mode}&refresh=${encodeURIComponent(`${origin.url}/refresh/held`)}&race=300`)).toEqual({ ended: true });
			await until(() => seen.filter((line) => line === '/refresh/held null').length === held + 1, 10_000, 'A\'s refresh to reach the origin');
			// Requests B and C, each with a context of its own: never A's promise (it can never settle
			// here), nor one another's; each 401 refreshes in its own request, at once.
			for (const [index, at] of ['B', 'C'].entries()) {
				const started = performance.now();
				expect(await get(`ctx=${mode}&refresh=${encodeURIComponent(`${origin.url}/refresh/ok`)}`), at).toEqual({ status: 200, body: 'data' });
				expect(performance.now() - started, at).toBeLessThan(5000);
				expect(await harness.json('auth', '/state')).toEqual({ token: 'good', refreshes: before + 2 + index });
				await harness.json('auth', '/stale');
			}
		}, 30_000);
	}

	it('calls of one request (withContext) that get a 401 at once share one refresh in that request', async () => {
		await harness.json('auth', '/stale');
		const before = (await harness.json<{ refreshes: number }>('auth', '/state')).refreshes;
		expect(await harness.json('auth', `/three?to=${encodeURIComponent(`${origin.url}/data`)}`)).toEqual([200, 200, 200]);
		expect(await harness.json('auth', '/state')).toEqual({ token: 'good', refreshes: before + 1 });
	}, 30_000);

	it('calls of one request made through a helper that calls withContext(ctx) per call share one refresh too (one ctx, one request)', async () => {
		await harness.json('auth', '/stale');
		const before = (await harness.json<{ refreshes: number }>('auth', '/state')).refreshes;
		expect(await harness.json('auth', `/three-helper?to=${encodeURIComponent(`${origin.url}/data`)}&refresh=${encodeURIComponent(`${origin.url}/refresh/slow`)}`)).toEqual([200, 200, 200]);
		// Before: each withContext(ctx) was a request of its own to auth: a refresh per call.
		expect(await harness.json('auth', '/state')).toEqual({ token: 'good', refreshes: before + 1 });
	}, 30_000);
});
