/**
 * Slow networks and requests that ask for a fresh answer (API.md "Slow networks: an answer within a deadline"): fetch's
 * `cache: 'no-cache'` or `'reload'`, or a request `Cache-Control: no-cache`, `no-store` or `max-age=0` (`Pragma: no-cache`
 * without one), take no stored answer while the origin may still answer (RFC 9111 §5.2.1): no copy at `networkTimeoutMs`.
 * A failure is still answered by the copy (§4.2.4: a cache disconnected from the origin may serve stale).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient, isStale, memoryStore, type CallOptions, type ClientOptions } from '../../src/entries/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { next } from './cache-kit.js';
import { until } from './outbox-helpers.js';

let server: RunningServer;
let hang = false;
let refuse = false;
const held: Array<{ path: string; release(): void }> = [];
beforeAll(async () => {
	server = await serve(async (request) => {
		const { pathname } = new URL(request.url);
		if (hang) {
			await new Promise<void>((release) => {
				held.push({ path: pathname, release });
			});
		}

		return Response.json({ path: pathname }, { headers: { 'cache-control': 'max-age=60' } });
	});
});
afterAll(async () => server.close());
afterEach(() => {
	hang = refuse = false;
	for (const each of held.splice(0)) {
		each.release();
	}

	vi.restoreAllMocks();
});

const clock = new ManualClock();
const make = (options: ClientOptions = {}) => createClient({
	baseUrl: `${server.url}/`, clock, store: memoryStore, name: `slow40-${Math.random()}`, retry: 0, breaker: false, staleCache: { networkTimeoutMs: 44 },
	fetch: async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
		if (refuse) {
			throw new TypeError('fetch failed');
		}

		return fetch(input, init);
	},
	...options,
});

/** A copy of `path` stored, then the origin hangs. */
const primed = async (path: string, options: ClientOptions = {}) => {
	const api = make(options);
	const stored = next(api, 'cache:stored');
	await api.get(path).text();
	await stored;
	clock.advance(1000);
	hang = true;
	return api;
};

/** How many deadline timers (`setTimeout` of 44 ms) were armed. */
const deadlines = () => {
	const seen = { armed: 0 };
	const original = globalThis.setTimeout;
	vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: (...args: unknown[]) => void, delay?: number, ...args: unknown[]) => {
		if (delay === 44) {
			seen.armed++;
		}

		return original(callback, delay, ...args);
	}) as typeof setTimeout);
	return seen;
};

/** A call of `path` with `options` while the origin hangs: the deadlines armed once it got there, and (released) whether it was answered stale. */
const slowCall = async (api: ReturnType<typeof make>, path: string, options: CallOptions): Promise<[number, string]> => {
	const timers = deadlines();
	let answered = false;
	const call = api.get(path, options).finally(() => {
		answered = true;
	});
	// Held until the copy answered, when a deadline was armed (lie-fi).
	await until(() => held.some((each) => each.path === `/${path}`) && (timers.armed === 0 || answered));
	const armed = timers.armed;
	vi.restoreAllMocks();
	held.splice(held.findIndex((each) => each.path === `/${path}`), 1)[0]!.release();
	const response = await call;
	return [armed, isStale(response) ? response.headers.get('cache-status')! : 'fresh'];
};

const fresh: Array<[string, CallOptions]> = [
	["cache: 'no-cache'", { cache: 'no-cache' }],
	["cache: 'reload'", { cache: 'reload' }],
	['Cache-Control: no-cache', { headers: { 'cache-control': 'no-cache' } }],
	['Cache-Control: no-store', { headers: { 'cache-control': 'no-store' } }],
	['Cache-Control: max-age=0', { headers: { 'cache-control': 'max-age=0' } }],
	['Cache-Control: NO-CACHE, private', { headers: { 'cache-control': 'NO-CACHE, private' } }],
	['Pragma: no-cache', { headers: { pragma: 'no-cache' } }],
];

describe('a read that asks for a fresh answer is not answered by its copy at networkTimeoutMs', () => {
	it('control: a plain read is (one deadline armed, detail=slow)', async () => {
		const api = await primed('plain');
		const timers = deadlines();
		const answer = await api.get('plain');
		expect([timers.armed, answer.headers.get('cache-status')]).toEqual([1, expect.stringMatching(/detail=slow$/)]);
		api.close();
	});

	it.each(fresh)('%s: no deadline armed, the origin\'s answer awaited', async (_name, options) => {
		const api = await primed('a');
		expect(await slowCall(api, 'a', options)).toEqual([0, 'fresh']);
		api.close();
	});

	it.each(fresh)('%s set on a client of the same name and store, and on an extend() child: no deadline armed', async (_name, options) => {
		const store = memoryStore('slow40-shared');
		const name = `slow40-${Math.random()}`;
		const api = await primed('b', { name, store: () => store });
		const own = make({ name, store: () => store, ...options as ClientOptions });
		expect(await slowCall(own, 'b', {})).toEqual([0, 'fresh']);
		const child = api.extend(options as ClientOptions);
		expect(await slowCall(child, 'b', {})).toEqual([0, 'fresh']);
		api.close();
		own.close();
	});

	it("a Request input with cache: 'no-cache': no deadline armed", async () => {
		const api = await primed('c');
		const timers = deadlines();
		const call = api.get(new Request(`${server.url}/c`, { cache: 'no-cache' }));
		await until(() => held.some((each) => each.path === '/c'));
		expect(timers.armed).toBe(0);
		held.find((each) => each.path === '/c')!.release();
		expect(isStale(await call)).toBe(false);
		api.close();
	});

	it('Cache-Control: max-age=60 or Pragma: no-cache beside a Cache-Control without no-cache asks for no fresh answer: the copy answers at the deadline', async () => {
		const api = await primed('d');
		expect((await api.get('d', { headers: { 'cache-control': 'max-age=60' } })).headers.get('cache-status')).toMatch(/detail=slow$/);
		expect((await api.get('d', { headers: { 'cache-control': 'max-stale', pragma: 'no-cache' } })).headers.get('cache-status')).toMatch(/detail=slow$/);
		api.close();
	});

	it.each(fresh)('%s: a failure is still answered by the copy (detail=network)', async (_name, options) => {
		const api = await primed('e');
		hang = false;
		refuse = true;
		const answer = await api.get('e', options);
		expect(answer.headers.get('cache-status')).toMatch(/detail=network$/);
		api.close();
	});
});
