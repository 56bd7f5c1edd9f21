/**
 * Slow networks, reads (API.md "Slow networks: an answer within a deadline"): a GET with a stored copy
 * and no answer `networkTimeoutMs` after it started is answered by the copy (`detail=slow`), while its
 * request goes on and refreshes the copy. The origin here accepts every request and, while `hang` is
 * set, answers none until released: the failure no refusal shows.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient, isStale, memoryStore, type CallOptions, type ClientOptions } from '../../src/entries/index.js';
import { health, type HealthStats } from '../../src/entries/health.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { collect, next, settle } from './cache-kit.js';
import { until } from './outbox-helpers.js';

/** A request the origin holds: its path, whether the client went away, and how to let it answer. */
interface Held {
	path: string;
	signal: AbortSignal;
	release(): void;
}

let server: RunningServer;
let hang = false;
let refuse = false;
/** What the origin answers now (`{ v, path }`): a refreshed copy shows a new `v`. */
let version = 1;
const held: Held[] = [];
const hits = new Map<string, number>();

beforeAll(async () => {
	server = await serve(async (request) => {
		const { pathname } = new URL(request.url);
		hits.set(pathname, (hits.get(pathname) ?? 0) + 1);
		if (hang) {
			await new Promise<void>((release) => {
				held.push({ path: pathname, signal: request.signal, release });
			});
		}

		return Response.json({ v: version, path: pathname });
	});
});

afterAll(async () => server.close());

afterEach(() => {
	hang = refuse = false;
	version = 1;
	for (const each of held.splice(0)) {
		each.release();
	}

	vi.restoreAllMocks();
});

const clock = new ManualClock();

/** A client of the preset against the origin: no retries, no breaker (unless given), a fresh store, the transport refusing while `refuse` is set. */
const make = (options: ClientOptions = {}) => createClient({
	baseUrl: `${server.url}/`, clock, store: memoryStore, name: `slow-${Math.random()}`, retry: 0, breaker: false,
	fetch: async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
		if (refuse) {
			throw new TypeError('fetch failed');
		}

		return fetch(input, init);
	},
	...options,
});

/**
 * The first request the origin holds, once it got there: the copy answers at `networkTimeoutMs` (40 ms) from the call's
 * start, which a loaded machine can reach before the request reaches the origin.
 */
const firstHeld = async (): Promise<Held> => {
	await until(() => held.length > 0);
	return held[0]!;
};

/** The request to `path` the origin holds, once it got there (another call's may get there first, or later). */
const heldAt = async (path: string): Promise<Held> => {
	await until(() => held.some((each) => each.path === path));
	return held.find((each) => each.path === path)!;
};

/** Store a copy of `path` (version `version`), then hang the origin. */
const primed = async (path: string, options: ClientOptions = { staleCache: { networkTimeoutMs: 40 } }) => {
	hang = false;
	const api = make(options);
	const stored = next(api, 'cache:stored');
	await api.get(path).text();
	await stored;
	hang = true;
	return api;
};

/** The deadline timers armed (`setTimeout` with `ms`), and how many of them have fired. */
const deadlines = (ms: number) => {
	const seen = { armed: 0, fired: 0 };
	const original = globalThis.setTimeout;
	vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: (...args: unknown[]) => void, delay?: number, ...args: unknown[]) => {
		if (delay === ms) {
			seen.armed++;
			return original((...given: unknown[]) => {
				seen.fired++;
				callback(...given);
			}, delay, ...args);
		}

		return original(callback, delay, ...args);
	}) as typeof setTimeout);
	return seen;
};

/** Whether `path` would be answered stale now, with the transport refusing. */
const copyOf = async (api: ReturnType<typeof make>, path: string, options: CallOptions = {}): Promise<unknown> => {
	refuse = true;
	try {
		const response = await api.get(path, options);
		return isStale(response) ? response.json() : undefined;
	} finally {
		refuse = false;
	}
};

describe('slow networks: reads', () => {
	it('a read with a copy and no answer by its deadline is answered by the copy: detail=slow, cache:stale reason slow, its request still open', async () => {
		const api = await primed('a');
		const stale = collect(api, 'cache:stale');
		const response = await api.get('a');
		expect(isStale(response)).toBe(true);
		expect(response.headers.get('cache-status')).toMatch(/detail=slow$/);
		expect(await response.json()).toEqual({ v: 1, path: '/a' });
		expect(stale).toMatchObject([{ reason: 'slow', method: 'GET', url: `${server.url}/a` }]);
		// Not aborted: the origin still holds it, and the call counts as stale, not failed.
		expect(held.map((each) => [each.path, each.signal.aborted])).toEqual([['/a', false]]);
		expect(api.stats()[server.url]).toMatchObject({ requests: 2, successes: 2, stale: 1, failures: {} });
	});

	it('a call whose waitUntil throws (its request context already gone) is still answered by the copy at its deadline: storage:error, never a stall', async () => {
		const api = await primed('thrown');
		const errors = collect(api, 'storage:error');
		const waitUntil = (): void => {
			throw new Error('waitUntil() called after the request ended');
		};
		const started = performance.now();
		// Before: the throw left the deadline's timer callback with the call marked answered and never answered (a stall to totalTimeout).
		const response = await Promise.race([api.get('thrown', { waitUntil, totalTimeout: 3_000 }).catch((error: unknown) => error), new Promise((resolve) => setTimeout(resolve, 1_500, 'stalled'))]);
		expect(response instanceof Response && isStale(response) ? await response.json() : response).toEqual({ v: 1, path: '/thrown' });
		expect(performance.now() - started).toBeLessThan(1_000);
		expect(errors).toMatchObject([{ part: 'cache', operation: 'background' }]);
	});

	it('the shortcut of the call (`.json()`) parses the copy; the request goes on and its good answer replaces the copy (cache:stored)', async () => {
		const api = await primed('b');
		expect(await api.get('b').json()).toEqual({ v: 1, path: '/b' });
		const stored = next(api, 'cache:stored');
		version = 2;
		clock.advance(2000); // A URL copied less than 1 s ago is not copied again.
		(await firstHeld()).release();
		expect(await stored).toMatchObject({ url: `${server.url}/b` });
		expect(await copyOf(api, 'b')).toEqual({ v: 2, path: '/b' });
	});

	it('its retries go on too, under the same budgets (ky timeout per attempt, totalTimeout)', async () => {
		const api = await primed('c', { staleCache: { networkTimeoutMs: 40 }, retry: { limit: 1, delay: () => 0 }, timeout: 150 });
		const response = await api.get('c');
		expect(response.headers.get('cache-status')).toMatch(/detail=slow$/);
		expect(hits.get('/c')).toBeLessThanOrEqual(2); // Answered before its first attempt timed out (which may not have reached the origin yet)…
		await until(() => hits.get('/c') === 3); // …which then goes on to its retry.
		expect(api.stats()[server.url]).toMatchObject({ retries: 1, stale: 1, failures: {} });
	});

	it('the caller\'s signal still aborts the request after the copy answered: nothing is stored', async () => {
		const api = await primed('d');
		const controller = new AbortController();
		const written = collect(api, 'cache:stored');
		const response = await api.get('d', { signal: controller.signal });
		expect(isStale(response)).toBe(true);
		const request = await firstHeld(); // At the origin when the caller aborts.
		controller.abort();
		await until(() => request.signal.aborted);
		version = 2;
		request.release();
		await settle();
		expect(await copyOf(api, 'd')).toEqual({ v: 1, path: '/d' });
		expect(written).toEqual([]);
	});

	it('a late answer the caller\'s afterResponse hook rejects is never stored', async () => {
		let seen = 0;
		const api = await primed('e', {
			staleCache: { networkTimeoutMs: 40 },
			hooks: { afterResponse: [async ({ response }) => {
				seen++;
				if ((await response.clone().json() as { v: number }).v === 2) {
					throw new Error('rejected by the app');
				}
			}] },
		});
		const written = collect(api, 'cache:stored');
		expect(isStale(await api.get('e'))).toBe(true);
		version = 2;
		(await firstHeld()).release();
		await until(() => seen === 2);
		await settle();
		expect(await copyOf(api, 'e')).toEqual({ v: 1, path: '/e' });
		expect(written).toEqual([]);
	});

	describe('a logout during a slow read hands nothing over (API.md "Work that outlives its caller")', () => {
		let who: string | undefined;
		/** Primed as `who`, the origin then hanging; counts the answers that reached the client (`seen()`), late ones included. */
		const loggedIn = async (path: string, more: ClientOptions = {}) => {
			let answers = 0;
			const api = await primed(path, {
				...more, identity: () => who, staleCache: { networkTimeoutMs: 40 },
				hooks: { afterResponse: [() => {
					answers++;
				}] },
			});
			return { api, seen: () => answers };
		};

		/** The read answered stale, then `logout`; its late answer (v2) arrives: never stored, never served. */
		const lateAnswer = async (path: string, logout: (api: Awaited<ReturnType<typeof loggedIn>>['api']) => Promise<void>) => {
			const { api, seen } = await loggedIn(path);
			const written = collect(api, 'cache:stored');
			expect(isStale(await api.get(path))).toBe(true);
			await logout(api);
			version = 2;
			clock.advance(2000); // Past the 1 s within which a URL is not copied again.
			(await firstHeld()).release();
			await until(() => seen() === 2);
			await settle();
			expect(written).toEqual([]);
			return api;
		};

		/** What `path` is answered with from the store while the origin is down: the copy's body, else undefined (the failure). */
		const served = async (...args: Parameters<typeof copyOf>): Promise<unknown> => copyOf(...args).catch(() => undefined);

		afterEach(() => {
			who = undefined;
		});

		it('clear() (no identity): the late answer is not stored, and the next user, with the origin down, is not served it', async () => {
			const api = await lateAnswer('logout-clear', async (client) => client.clear());
			expect(await served(api, 'logout-clear')).toBeUndefined();
			expect(await served(make({ identity: () => who }), 'logout-clear')).toBeUndefined();
		});

		it('clear({ identity }) of the read\'s identity: the late answer is not stored under it', async () => {
			who = 'alice';
			const api = await lateAnswer('logout-one', async (client) => client.clear({ identity: 'alice' }));
			expect(await served(api, 'logout-one')).toBeUndefined();
		});

		it('an identity change (alice, then bob): the late answer of alice\'s read is not stored', async () => {
			who = 'alice';
			const api = await lateAnswer('logout-switch', async () => {
				who = 'bob';
			});
			expect(await served(api, 'logout-switch')).toBeUndefined();
			who = 'alice';
			expect(await served(api, 'logout-switch')).toEqual({ v: 1, path: '/logout-switch' });
		});

		it('the cache\'s own clear() (client.cache.clear()): the same', async () => {
			const api = await lateAnswer('logout-cache', async (client) => client.cache.clear());
			expect(await served(api, 'logout-cache')).toBeUndefined();
		});

		it('a clear by another client of the name and store (extend()): the same', async () => {
			const api = await lateAnswer('logout-other', async (client) => client.extend({ timeout: 5000 }).clear());
			expect(await served(api, 'logout-other')).toBeUndefined();
		});

		it('a clear by another client made with the same name and store (a second createClient, not extend()): the same', async () => {
			const shared = memoryStore('twins');
			const twin = { name: `twins-${Math.random()}`, store: () => shared };
			const { api, seen } = await loggedIn('logout-twin', twin);
			const written = collect(api, 'cache:stored');
			expect(isStale(await api.get('logout-twin'))).toBe(true);
			await make(twin).clear();
			version = 2;
			clock.advance(2000);
			(await firstHeld()).release();
			await until(() => seen() === 2);
			await settle();
			expect(written).toEqual([]);
			expect(await served(make(twin), 'logout-twin')).toBeUndefined();
		});

		it('clear({ identity }) of another identity: alice\'s late answer is stored as usual', async () => {
			who = 'alice';
			const { api, seen } = await loggedIn('other-user');
			const stored = next(api, 'cache:stored');
			expect(isStale(await api.get('other-user'))).toBe(true);
			await api.clear({ identity: 'bob' });
			version = 2;
			clock.advance(2000);
			(await firstHeld()).release();
			await until(() => seen() === 2);
			expect(await stored).toMatchObject({ url: `${server.url}/other-user` });
			expect(await served(api, 'other-user')).toEqual({ v: 2, path: '/other-user' });
		});

		it('a read that started after the clear stores its answer as usual', async () => {
			const { api } = await loggedIn('after-clear');
			await api.clear();
			hang = false;
			const stored = next(api, 'cache:stored');
			clock.advance(2000);
			await api.get('after-clear').text();
			expect(await stored).toMatchObject({ url: `${server.url}/after-clear` });
		});
	});

	it('a read without a copy is not affected: it waits for its answer, no timer once the client knows its key is not stored', async () => {
		const api = await primed('f', { staleCache: { networkTimeoutMs: 47 } });
		await settle(); // The store listed behind the first copy.
		const timers = deadlines(47);
		const stale = collect(api, 'cache:stale');
		expect(isStale(await api.get('f'))).toBe(true); // With a copy: a timer, and the copy.
		const call = api.get('other');
		const other = await heldAt('/other');
		version = 2;
		other.release();
		const response = await call;
		expect(isStale(response)).toBe(false);
		expect(await response.json()).toEqual({ v: 2, path: '/other' });
		expect(timers.armed).toBe(1);
		expect(stale).toMatchObject([{ url: `${server.url}/f` }]);
	});

	it('before the store was listed a deadline is armed for any read; it finds no copy and the read waits for its answer', async () => {
		hang = true;
		const api = make({ staleCache: { networkTimeoutMs: 43 } });
		const timers = deadlines(43);
		const call = api.get('g');
		await until(() => timers.fired === 1 && held.length === 1);
		(await firstHeld()).release();
		expect(isStale(await call)).toBe(false);
	});

	it('per call: `staleCache: { networkTimeoutMs }` replaces the client\'s, `false` waits, `staleCache: false` still turns the cache off', async () => {
		const api = await primed('h', { staleCache: { networkTimeoutMs: false } });
		const own = await api.get('h', { staleCache: { networkTimeoutMs: 30 } });
		expect(own.headers.get('cache-status')).toMatch(/detail=slow$/);

		const other = await primed('i', { staleCache: { networkTimeoutMs: 44 } });
		const timers = deadlines(44);
		const none = other.get('i', { staleCache: { networkTimeoutMs: false } });
		// The first call's request may reach the origin only now (answered then, as `primed` lets the origin answer), or later.
		(await heldAt('/i')).release();
		expect(isStale(await none)).toBe(false);
		expect(timers.armed).toBe(0);

		refuse = true;
		await expect(other.get('i', { staleCache: false })).rejects.toThrow();
		await expect(other.get('i', { staleCache: { networkTimeoutMs: -1 } as never })).rejects.toThrow(/staleCache\.networkTimeoutMs/);
	});

	it('stats count the answer as stale, never a failure; the breaker and health count the attempt by how it really ends', async () => {
		const api = await primed('j', { staleCache: { networkTimeoutMs: 40 }, breaker: { consecutiveFailures: 1 }, health: health(), totalTimeout: 300 });
		const opened = next(api, 'breaker:open');
		expect(isStale(await api.get('j'))).toBe(true);
		expect(api.stats()[server.url]).toMatchObject({ stale: 1, failures: {} });
		expect(api.breaker(server.url).state).toBe('closed');
		await opened; // Its attempt timed out (totalTimeout): a failure of the origin.
		await until(() => (api.stats()[server.url] as unknown as HealthStats).topErrors.length > 0);
		expect(api.stats()[server.url]).toMatchObject({ stale: 1, failures: {}, errorRate: 0.5, topErrors: [{ code: 'TIMEOUT', count: 1 }] });
	});

	it('bad options: a RangeError naming staleCache.networkTimeoutMs', () => {
		expect(() => make({ staleCache: { networkTimeoutMs: 0 } })).toThrow(/staleCache\.networkTimeoutMs/);
		expect(() => make({ staleCache: { networkTimeoutMs: Number.POSITIVE_INFINITY } })).toThrow(RangeError);
	});
});

describe('slow networks: the copies the client knows of', () => {
	it('a later answer that was copied but not stored (an afterResponse hook threw on it) leaves the stored copy known: the next slow read is answered by it', async () => {
		const api = await primed('known', { staleCache: { networkTimeoutMs: 41 } });
		await settle(); // The store listed behind the first copy.
		hang = false;
		clock.advance(2000); // A URL copied less than 1 s ago is not copied again.
		await expect(api.get('known', { hooks: { afterResponse: [() => {
			throw new Error('not for us');
		}] } })).rejects.toThrow('not for us');
		hang = true;
		const timers = deadlines(41);
		const call = api.get('known');
		await until(() => held.length === 1);
		expect(timers.armed).toBe(1);
		const response = await call;
		expect(response.headers.get('cache-status')).toMatch(/detail=slow$/);
	});
});
