/**
 * Defect hunt, eighteenth round: the stale cache's answers (API.md "Responses served from the stale cache", "Slow
 * networks: an answer within a deadline"). Each test names the claim it holds the code to.
 */
import { describe, expect, it, vi } from 'vitest';
import { createClient, isStale, type ClientOptions } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait-for.js';
import { gatedReads, next } from './cache-kit.js';

/**
 * A client on a gated store (`gatedReads`) whose origin answers `{ v }` at once, or, while `gate` is set, once it opens.
 * `refuse`: the transport throws a TypeError (a network failure) instead.
 */
const origin = (name: string, options: ClientOptions = {}) => {
	const reads = gatedReads(name);
	const state = { v: 1, refuse: false, gate: undefined as Promise<void> | undefined };
	const api = createClient({
		name, clock: new ManualClock(), store: () => reads.store, retry: 0, breaker: false, ...options,
		fetch: async (input: Parameters<typeof fetch>[0]) => {
			const { signal, url } = input as Request;
			// As fetch, it rejects when its signal aborts.
			await Promise.race([state.gate, new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)))]);
			if (state.refuse) {
				throw new TypeError('fetch failed');
			}

			return Response.json({ v: state.v, path: new URL(url).pathname });
		},
	});
	return { api, reads, state };
};

/** `api`'s GET of `url`, read whole, and its copy stored. */
const primed = async (api: ReturnType<typeof createClient>, url: string): Promise<void> => {
	const stored = next(api, 'cache:stored');
	await api.get(url).text();
	await stored;
};

describe('a deadline that passes as the network answers: one answer, the one `cache:stale` tells (API.md "Slow networks": a copy answers "A GET or HEAD that has … no answer `networkTimeoutMs` after the call started")', () => {
	it('whichever comes first by a microtask, the caller gets the copy exactly when `cache:stale` is told, and the network\'s answer otherwise', async () => {
		const seen: string[] = [];
		// The network's answer lands `ticks` microtasks after the copy's read began to answer: somewhere in between, it ends
		// the run as `fire` has the copy but has not answered with it yet.
		for (let ticks = 0; ticks < 24; ticks++) {
			const { api, reads, state } = origin(`race-${ticks}`, { staleCache: { networkTimeoutMs: 20 } });
			await primed(api, 'https://race.test/a');
			state.v = 2;
			let open = (): void => {};
			state.gate = new Promise((resolve) => {
				open = resolve;
			});
			reads.hold();
			const told: string[] = [];
			api.on('cache:stale', ({ reason }) => told.push(reason));
			const call = api.get('https://race.test/a');
			await waitFor(reads.reading, 'the deadline\'s read of the copy');
			open();
			for (let index = 0; index < ticks; index++) {
				await null;
			}

			reads.release();
			const response = await call;
			const { v } = await response.json() as { v: number };
			seen.push(`${isStale(response) ? 'stale' : 'fresh'} v${v} told ${told.join() || 'none'}`);
			api.close();
		}

		// Before: at one of these turns (6 here) the caller got the network's answer, `v2`, while `cache:stale` was told.
		expect(seen.filter((row) => !['stale v1 told slow', 'fresh v2 told none'].includes(row))).toEqual([]);
		expect(seen).toContain('stale v1 told slow');
		expect(seen).toContain('fresh v2 told none');
	});
});

describe('a caller\'s abort while the copy is read: no stale answer told (API.md: "The caller\'s signal still aborts it"; `classify`: `ABORTED` is the caller\'s)', () => {
	it('a failure\'s copy, and a deadline\'s, read as the caller aborts: the call rejects with the caller\'s reason and `cache:stale` is not told', async () => {
		const seen: unknown[] = [];
		for (const how of ['network', 'slow'] as const) {
			const { api, reads, state } = origin(`abort-${how}`, { staleCache: { networkTimeoutMs: how === 'slow' ? 20 : false } });
			await primed(api, 'https://abort.test/a');
			state.refuse = how === 'network';
			state.gate = how === 'slow' ? new Promise(() => {}) : undefined;
			reads.hold();
			const told: string[] = [];
			api.on('cache:stale', ({ reason }) => told.push(reason));
			const controller = new AbortController();
			const call = api.get('https://abort.test/a', { signal: controller.signal }).then((response) => `answered ${isStale(response)}`, (error: unknown) => error);
			await waitFor(reads.reading, 'the read of the copy');
			controller.abort(new Error('left the page'));
			reads.release();
			seen.push(how, String(await call), told);
			api.close();
		}

		expect(seen).toEqual(['network', 'Error: left the page', [], 'slow', 'Error: left the page', []]);
	});
});

describe('a Range request is never answered by a copy (a copy holds the whole body, never the part asked for: as for `integrity`, it fails as without a cache)', () => {
	it('a GET or HEAD with `Range` (its own, or a beforeRequest hook\'s), on a failure or at its deadline, gets the failure or the network\'s answer; one without is answered stale as before', async () => {
		const { api, state } = origin('range', { staleCache: { networkTimeoutMs: false } });
		await primed(api, 'https://range.test/a');
		state.refuse = true;
		const told: string[] = [];
		api.on('cache:stale', ({ method }) => told.push(method));
		const outcome = async (call: Promise<Response>): Promise<string> => call.then((response) => `${response.status} ${isStale(response)}`, (error: unknown) => (error as Error).name);
		const hook = { hooks: { beforeRequest: [({ request }: { request: Request }) => {
			request.headers.set('range', 'bytes=0-3');
		}] } };
		const seen = [
			await outcome(api.get('https://range.test/a', { headers: { range: 'bytes=0-3' } })),
			await outcome(api.head('https://range.test/a', { headers: { range: 'bytes=0-3' } })),
			await outcome(api.get('https://range.test/a', hook)),
			await outcome(api.get('https://range.test/a')),
		];
		// Slow: the deadline's copy does not answer a Range request either; the network's answer does, once the deadline's
		// work (the `setTimeout` of 20 ms, which `fire` runs) is over.
		state.refuse = false;
		let open = (): void => {};
		state.gate = new Promise((resolve) => {
			open = resolve;
		});
		let fired: Promise<unknown> | undefined;
		const original = globalThis.setTimeout;
		const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: (...args: unknown[]) => unknown, delay?: number, ...args: unknown[]) =>
			original((...given: unknown[]) => {
				const ran = callback(...given);
				fired ??= delay === 20 ? Promise.resolve(ran) : undefined;
			}, delay, ...args)) as typeof setTimeout);
		const slow = outcome(api.get('https://range.test/a', { headers: { range: 'bytes=0-3' }, staleCache: { networkTimeoutMs: 20 } }));
		await waitFor(() => fired !== undefined, 'the deadline');
		await fired;
		spy.mockRestore();
		open();
		seen.push(await slow);
		api.close();
		// Before: ['200 true', '200 true', '200 true', '200 true', '200 true'], told for each.
		expect([seen, told]).toEqual([['NetworkError', 'NetworkError', 'NetworkError', '200 true', '200 false'], ['GET']]);
	});
});
