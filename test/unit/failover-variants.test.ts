/** Failover, round-4 variants: a keyed call given as a Request with a body. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import ky from 'ky';
import { createClient } from '../../src/entries/core.js';
import { failover } from '../../src/entries/failover.js';
import { logger } from '../../src/entries/logger.js';
import { auth } from '../../src/entries/auth.js';
import { type Origin, startOrigin } from '../helpers/origin.js';

let primary: Origin;
let mirror: Origin;
beforeAll(async () => {
	[primary, mirror] = await Promise.all([startOrigin(), startOrigin()]);
});
afterAll(async () => Promise.all([primary, mirror].map(async (origin) => origin.server.close())));

describe('failover variants', () => {
	it('a keyed Request input with a body is sent to the mirror with the same bytes and key', async () => {
		primary.failWith = 503;
		const api = createClient({ retry: 0, retryBudget: false, failover: failover({ mirrors: { [primary.server.url]: [mirror.server.url] } }) });
		const request = new Request(`${primary.server.url}/mutate?id=request-body`, { method: 'POST', body: '{"a":1}', headers: { 'Idempotency-Key': 'req-1', 'content-type': 'application/json' } });
		const response = await api(request);
		expect([response.status, new URL(response.url).origin]).toEqual([201, mirror.server.url]);
		expect(mirror.state.applied.get('request-body')).toEqual([expect.objectContaining({ key: 'req-1', body: '{"a":1}' })]);
		api.close();
	});

	it('a keyed call whose body is a ReadableStream is sent to the mirror with the same bytes and key', async () => {
		primary.failWith = 503;
		const api = createClient({ retry: 0, retryBudget: false, failover: failover({ mirrors: { [primary.server.url]: [mirror.server.url] } }) });
		const body = new Blob(['{"s":2}']).stream();
		const response = await api.post(`${primary.server.url}/mutate?id=stream-body`, { body, duplex: 'half', idempotencyKey: 'stream-1', headers: { 'content-type': 'application/json' } } as never);
		expect([response.status, new URL(response.url).origin]).toEqual([201, mirror.server.url]);
		expect(mirror.state.applied.get('stream-body')).toEqual([expect.objectContaining({ key: 'stream-1', body: '{"s":2}' })]);
		api.close();
	});

	// Node's fetch takes these too, and reads them once as it sends them, as a ReadableStream.
	const once: Array<[string, () => unknown]> = [
		['an async generator', () => (async function* () {
			yield new TextEncoder().encode('{"s":');
			yield new TextEncoder().encode('3}');
		})()],
		['a Node stream (Readable)', () => Readable.from([new TextEncoder().encode('{"s":'), new TextEncoder().encode('3}')])],
	];

	it.each(once)('a keyed call whose body is %s (a stream fetch takes) is sent to the mirror with the same bytes and key', async (name, body) => {
		primary.failWith = 503;
		const api = createClient({ retry: 0, retryBudget: false, failover: failover({ mirrors: { [primary.server.url]: [mirror.server.url] } }) });
		const id = `iterable-${name.length}`;
		const response = await api.post(`${primary.server.url}/mutate?id=${id}`, { body: body(), duplex: 'half', idempotencyKey: id, headers: { 'content-type': 'application/json' } } as never);
		expect([response.status, new URL(response.url).origin]).toEqual([201, mirror.server.url]);
		expect(mirror.state.applied.get(id)).toEqual([expect.objectContaining({ key: id, body: '{"s":3}' })]);
		api.close();
	});
});

describe('failover: a primary origin written as the URL parser reads it, not in its serialized form', () => {
	it('an upper-case host, the scheme\'s default port, a Unicode (IDN) host or an upper-case scheme is that origin: no RangeError, and its calls fail over', async () => {
		const keys = ['https://API.Example.com', 'https://api.example.com:443', 'HTTPS://api.example.com/', 'https://bücher.example'];
		for (const key of keys) {
			const sent: string[] = [];
			const fetch = (async (request: Request) => {
				sent.push(request.url);
				return new URL(request.url).hostname === 'eu.example.com' ? new Response('mirror') : new Response('down', { status: 503 });
			}) as typeof globalThis.fetch;
			// Before: RangeError "`failover.mirrors['https://API.Example.com']` must be an http(s) origin, such as https://api.example.com".
			const api = createClient({ retry: 0, retryBudget: false, fetch, failover: failover({ mirrors: { [key]: ['https://eu.example.com'] } }) });
			const primaryUrl = new URL('/v1/x', key).href;
			const response = await api.get(primaryUrl);
			expect([await response.text(), sent], key).toEqual(['mirror', [primaryUrl, 'https://eu.example.com/v1/x']]);
			api.close();
		}

		// Still refused: a path, a query, a fragment or a user name after the origin.
		for (const key of ['https://api.example.com/v1', 'https://api.example.com/?x=1', 'https://api.example.com/#a', 'https://u@api.example.com']) {
			expect(() => failover({ mirrors: { [key]: ['https://eu.example.com'] } }), key).toThrow(/an http\(s\) origin/);
		}
	});
});

describe('failover and ky.stop', () => {
	it('a beforeRetry hook returning ky.stop resolves the call undefined, as without failover: never a TypeError reading the answer it has not got', async () => {
		const sent: string[] = [];
		const fetch = (async (request: Request) => {
			sent.push(new URL(request.url).origin);
			return new Response('busy', { status: 503 });
		}) as typeof globalThis.fetch;
		const api = createClient({ fetch, retry: { limit: 2, delay: () => 0 }, hooks: { beforeRetry: [() => ky.stop] }, failover: failover({ mirrors: { 'https://api.test': ['https://mirror.test'] } }) });
		const outcome = await api.get('https://api.test/a').catch((error: unknown) => `${(error as Error).name}: ${(error as Error).message}`);
		expect([outcome, sent]).toEqual([undefined, ['https://api.test']]);
		api.close();
	});
});

describe('failover and the retry budget (defect hunt, eleventh round)', () => {
	/**
	 * A dead primary whose retry budget the outage spent (`minRetries: 1`), and a mirror whose first
	 * answer to the call is `first` (a 503, a network failure, a hang past the attempt's `timeout`),
	 * then a 200.
	 */
	const outage = (first: '503' | 'network' | 'timeout') => {
		const sent: string[] = [];
		let mirrorAttempts = 0;
		const fetch = (async (request: Request) => {
			sent.push(new URL(request.url).origin);
			if (request.url.startsWith('https://primary.test')) {
				throw new TypeError('fetch failed');
			}

			if (++mirrorAttempts > 1) {
				return new Response('mirror');
			}

			if (first === 'network') {
				throw new TypeError('fetch failed');
			}

			if (first === 'timeout') {
				return new Promise<Response>((_resolve, reject) => {
					request.signal.addEventListener('abort', () => reject(request.signal.reason as Error), { once: true });
				});
			}

			return new Response('busy', { status: 503 });
		}) as typeof globalThis.fetch;
		const api = createClient({
			fetch, timeout: 200, retry: { limit: 2, delay: () => 1, jitter: false }, retryBudget: { minRetries: 1, ratio: 0 },
			failover: failover({ mirrors: { 'https://primary.test': ['https://mirror.test'] } }),
		});
		const told: string[] = [];
		api.on('retry', ({ scope, url }) => told.push(`retry ${scope} ${new URL(url).origin}`));
		api.on('budget:exhausted', ({ scope }) => told.push(`budget:exhausted ${scope}`));
		return { api, sent, told };
	};

	for (const first of ['503', 'network', 'timeout'] as const) {
		it(`a mirror's retry (after its ${first}) is paid from the mirror's budget, as its hedge is: the primary's spent budget does not refuse it`, async () => {
			const { api, sent, told } = outage(first);
			// Before: NetworkError of the primary (sent: primary ×2, mirror ×1): the mirror's retry was refused by the primary's spent budget.
			const outcome = await api.get('https://primary.test/a').text().catch((error: unknown) => `${(error as Error).name}`);
			const stats = api.stats();
			expect({ outcome, sent, told }).toEqual({
				outcome: 'mirror',
				sent: ['https://primary.test', 'https://primary.test', 'https://mirror.test', 'https://mirror.test'],
				told: ['retry https://primary.test https://primary.test', 'budget:exhausted https://primary.test', 'retry https://mirror.test https://mirror.test'],
			});
			// Counted in the scope each retry went to.
			expect([stats['https://primary.test']?.retries, stats['https://primary.test']?.retriesRefused, stats['https://mirror.test']?.retries]).toEqual([1, 1, 1]);
			api.close();
		});
	}
});

describe('failover and auth: a new run\'s retries are counted as ky counts them (defect hunt, twelfth round)', () => {
	/** What the `retry` event, the logger's `retry` records and ky's `beforeRetry` hooks say of each retry. */
	const watch = (options: Record<string, unknown>) => {
		const hooks: number[] = [];
		const logged: unknown[] = [];
		const sink = { info: () => undefined, warn: (record: { event: string; attempt?: number }) => record.event === 'retry' && logged.push(record.attempt), error: () => undefined };
		const api = createClient({
			retry: { limit: 2, delay: () => 1, jitter: false }, retryBudget: false, logger: logger(sink),
			hooks: { beforeRetry: [({ retryCount }: { retryCount: number }) => void hooks.push(retryCount)] }, ...options,
		} as never);
		const told: string[] = [];
		api.on('retry', ({ scope, retryCount }) => told.push(`${new URL(scope).hostname} ${retryCount}`));
		return { api, hooks, logged, told };
	};

	it('a mirror\'s retries are its run\'s first and second (retryCount 1, 2), as ky\'s beforeRetry sees them', async () => {
		const fetch = (async (request: Request) => request.url.startsWith('https://primary.test')
			? Promise.reject(new TypeError('fetch failed'))
			: new Response('busy', { status: 503 })) as typeof globalThis.fetch;
		const { api, hooks, logged, told } = watch({ fetch, failover: failover({ mirrors: { 'https://primary.test': ['https://mirror.test'] } }) });
		await expect(api.get('https://primary.test/a')).rejects.toThrow();
		// Before: ['primary.test 1', 'primary.test 2', 'mirror.test 4', 'mirror.test 5'] and records' attempts [2, 3, 5, 6]:
		// the mirror's run counted the primary's attempts and its own first one as retries.
		expect({ told, hooks, logged }).toEqual({
			told: ['primary.test 1', 'primary.test 2', 'mirror.test 1', 'mirror.test 2'],
			hooks: [1, 2, 1, 2],
			logged: [2, 3, 2, 3],
		});
		api.close();
	});

	it('the retries of auth\'s run after a refresh are counted from 1 again', async () => {
		let token = 'old';
		let sent = 0;
		const fetch = (async (request: Request) => {
			sent++;
			return request.headers.get('authorization') === 'Bearer old' ? new Response('', { status: 401 }) : new Response('busy', { status: 503 });
		}) as typeof globalThis.fetch;
		const { api, hooks, told } = watch({ fetch, auth: auth({ origins: ['https://api.test'], token: () => token, refresh: () => { token = 'new'; } }) });
		await expect(api.get('https://api.test/a')).rejects.toThrow();
		// Before: ['api.test 2', 'api.test 3'] (the 401's attempt counted as a retry of the refreshed run).
		expect({ sent, told, hooks }).toEqual({ sent: 4, told: ['api.test 1', 'api.test 2'], hooks: [1, 2] });
		api.close();
	});
});

describe('failover and the retry budget\'s ratio (defect hunt, twelfth round)', () => {
	it('a mirror\'s first attempts earn its budget its share (`ratio × first attempts`), as a primary\'s do', async () => {
		let mirrorAttempts = 0;
		const fetch = (async (request: Request) => {
			if (request.url.startsWith('https://primary.test')) {
				throw new TypeError('fetch failed');
			}

			return ++mirrorAttempts % 2 === 1 ? new Response('busy', { status: 503 }) : new Response('mirror');
		}) as typeof globalThis.fetch;
		// No retry but the ratio's: one retry per first attempt in the scope.
		const api = createClient({
			fetch, retry: { limit: 1, delay: () => 1, jitter: false }, retryBudget: { ratio: 1, minRetries: 0 },
			failover: failover({ mirrors: { 'https://primary.test': ['https://mirror.test'] } }),
		});
		const outcomes: string[] = [];
		for (let index = 0; index < 3; index++) {
			outcomes.push(await api.get(`https://primary.test/${index}`).text().catch((error: unknown) => (error as Error).name));
		}

		const stats = api.stats()['https://mirror.test'];
		// Before: ['NetworkError', 'mirror', 'NetworkError'], mirror { retries: 0, retriesRefused: 2 }: its first attempts were counted
		// nowhere, so its budget allowed `minRetries` only, whatever the ratio said.
		expect({ outcomes, retries: stats?.retries, refused: stats?.retriesRefused }).toEqual({ outcomes: ['mirror', 'mirror', 'mirror'], retries: 3, refused: 0 });
		api.close();
	});
});
