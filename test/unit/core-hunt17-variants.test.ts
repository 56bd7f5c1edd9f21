/**
 * Defect hunt, seventeenth round: the core's deadlines, hooks, hedge and dedupe — variants of what earlier rounds
 * fixed, each against the line of API.md, the README or the TSDoc it breaks.
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient, isStale, memoryStore, outbox } from '../../src/entries/index.js';
import { createClient as coreClient } from '../../src/entries/core.js';
import { waitFor } from '../helpers/wait-for.js';

const code = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'OK', (error: unknown) => classify(error).code);

/**
 * README "Errors": "`UNKNOWN` | no | anything else, such as an error your own hook (but `init`) threw | the error as
 * thrown"; API.md: any other error "is `UNKNOWN`: not transient, and counted by neither the breaker, reachability nor
 * health". A hook's own error whose message is one a runtime's `fetch` gives (`TypeError('fetch failed')`: the app's own
 * `fetch` of something else, rethrown) was taken for a network failure of the call's origin.
 */
describe('an error the app\'s own hook threw is UNKNOWN, whatever its message', () => {
	const kinds = ['beforeRequest', 'beforeRetry', 'afterResponse', 'beforeError'] as const;
	/** A `fetch` that answers 503 to the first attempt of each call (so `beforeRetry` runs), 404 to `/missing` (so `beforeError` runs). */
	const origin = () => {
		const seen = new Set<string>();
		const sent: string[] = [];
		const fetch = (async (request: Request) => {
			sent.push(request.url);
			const key = request.headers.get('x-call') ?? '';
			if (request.url.endsWith('/flaky') && !seen.has(key)) {
				seen.add(key);
				return new Response('down', { status: 503 });
			}

			return request.url.endsWith('/missing') ? new Response('no', { status: 404 }) : new Response('{"a":1}', { headers: { 'content-type': 'application/json' } });
		}) as typeof globalThis.fetch;
		return { sent, fetch };
	};

	const pathOf = (kind: typeof kinds[number]): string => (kind === 'beforeRetry' ? 'flaky' : kind === 'beforeError' ? 'missing' : 'ok');

	for (const kind of kinds) {
		for (const where of ['the call', 'the client', 'extend()'] as const) {
			for (const how of ['throws', 'rejects'] as const) {
				it(`${kind} on ${where} ${how} TypeError('fetch failed'): the caller gets that error, UNKNOWN, and the breaker and reachability count nothing`, async () => {
					const { fetch } = origin();
					const failure = new TypeError('fetch failed');
					const hook = how === 'throws' ? () => {
						throw failure;
					} : async () => {
						throw failure;
					};
					const hooks = { [kind]: [hook] };
					const base = createClient({ fetch, retry: { limit: 1, delay: () => 0 }, breaker: { consecutiveFailures: 2 }, staleCache: false, ...(where === 'the client' ? { hooks } : {}) });
					const api = where === 'extend()' ? base.extend({ hooks }) : base;
					let n = 0;
					const call = () => api.get(`https://api.test/${pathOf(kind)}`, { headers: { 'x-call': String(n++) }, ...(where === 'the call' ? { hooks } : {}) });
					const error = await call().then(() => undefined, (thrown: unknown) => thrown);
					expect(error).toBe(failure);
					// Before: NETWORK, transient.
					expect(classify(error)).toEqual({ code: 'UNKNOWN', transient: false });
					expect(Object.keys(api.stats()['https://api.test']?.failures ?? {})).not.toContain('NETWORK');
					// A second one: the breaker (opened by two failures it counts) is still closed; the origin is not unreachable.
					expect(await code(call())).toBe('UNKNOWN');
					expect(api.reachability('https://api.test')).not.toBe('unreachable');
					if (kind !== 'beforeRetry') {
						expect(api.breaker('https://api.test').state).toBe('closed');
					}

					base.close();
				});
			}
		}
	}

	it('an afterResponse hook\'s TypeError(\'fetch failed\') on a read with a stored copy: the caller gets the error, not the copy', async () => {
		const { fetch } = origin();
		const api = createClient({ fetch, retry: 0, store: memoryStore });
		await (await api.get('https://api.test/ok')).text();
		await waitFor(async () => (await api.cache.list()).length === 1, 'the copy to be stored');
		const failure = new TypeError('fetch failed');
		const answer = await api.get('https://api.test/ok', { hooks: { afterResponse: [() => {
			throw failure;
		}] } }).then((response) => `stale: ${isStale(response)}`, (error: unknown) => error);
		// Before: 'stale: true' (Cache-Status detail=network), the origin's fresh answer thrown away for a copy.
		expect(answer).toBe(failure);
		api.close();
	});

	it('an afterResponse hook\'s TypeError(\'fetch failed\') on a write the origin took: not queued, never sent again', async () => {
		const { sent, fetch } = origin();
		const api = createClient({ fetch, retry: 0, store: memoryStore, outbox: outbox() });
		const failure = new TypeError('fetch failed');
		const error = await api.post('https://api.test/ok', { json: { a: 1 }, hooks: { afterResponse: [() => {
			throw failure;
		}] } }).then(() => undefined, (thrown: unknown) => thrown);
		// Before: OutboxQueuedError (QUEUED), one entry: the write the origin had answered 200 was replayed later.
		expect(error).toBe(failure);
		expect(await api.outbox.size()).toBe(0);
		expect(sent).toHaveLength(1);
		api.close();
	});

	it('a beforeRequest hook\'s TypeError(\'fetch failed\') on a write: not queued (nothing was sent; the app\'s error is its own)', async () => {
		const { sent, fetch } = origin();
		const api = createClient({ fetch, retry: 0, store: memoryStore, outbox: outbox() });
		const failure = new TypeError('Failed to fetch');
		const error = await api.post('https://api.test/ok', { json: { a: 1 }, hooks: { beforeRequest: [async () => {
			throw failure;
		}] } }).then(() => undefined, (thrown: unknown) => thrown);
		expect(error).toBe(failure);
		expect(classify(error).code).toBe('UNKNOWN');
		expect(await api.outbox.size()).toBe(0);
		expect(sent).toHaveLength(0);
		api.close();
	});

	for (const where of ['steadfetch', 'steadfetch/core'] as const) {
		it(`${where}: a retry.shouldRetry of the app's that throws TypeError('fetch failed') is UNKNOWN too`, async () => {
			const { fetch } = origin();
			const failure = new TypeError('fetch failed');
			const options = { fetch, retry: { limit: 1, delay: () => 0, shouldRetry: () => {
				throw failure;
			} } };
			const api = where === 'steadfetch' ? createClient(options) : coreClient(options);
			const error = await api.get('https://api.test/flaky').then(() => undefined, (thrown: unknown) => thrown);
			expect(error).toBe(failure);
			// Before: NETWORK.
			expect(classify(error).code).toBe('UNKNOWN');
			expect(Object.keys(api.stats()['https://api.test']?.failures ?? {})).toEqual(['UNKNOWN']);
			api.close();
		});
	}

	it('steadfetch/core: the same, and a hook that returns its value is unchanged', async () => {
		const { fetch } = origin();
		const api = coreClient({ fetch, retry: 0 });
		const failure = new TypeError('network error');
		expect(await api.get('https://api.test/ok', { hooks: { afterResponse: [() => {
			throw failure;
		}] } }).then(() => undefined, (thrown: unknown) => thrown)).toBe(failure);
		expect(classify(failure).code).toBe('UNKNOWN');
		// A hook's value still reaches ky: a replaced response, a request.
		const replaced = await api.get('https://api.test/ok', { hooks: { afterResponse: [() => new Response('mine')], beforeRequest: [({ request }) => {
			request.headers.set('x-seen', '1');
		}] } }).text();
		expect(replaced).toBe('mine');
		// A platform's own network failure (from `fetch`, not a hook) is still NETWORK.
		const down = coreClient({ fetch: async () => {
			throw new TypeError('fetch failed');
		}, retry: 0 });
		expect(await code(down.get('https://api.test/ok'))).toBe('NETWORK');
		api.close();
		down.close();
	});

	for (const where of ['the client', 'the call'] as const) {
		for (const how of ['throws', 'rejects'] as const) {
			it(`a fallback function on ${where} that ${how} TypeError('Failed to fetch'): the caller gets it, UNKNOWN`, async () => {
				const failure = new TypeError('Failed to fetch');
				const fallback = how === 'throws' ? () => {
					throw failure;
				} : async () => {
					throw failure;
				};
				const fetch = (async () => new Response('down', { status: 503 })) as typeof globalThis.fetch;
				const api = createClient({ fetch, retry: 0, ...(where === 'the client' ? { fallback } : {}) });
				const error = await api.get('https://api.test/down', where === 'the call' ? { fallback } : {}).then(() => undefined, (thrown: unknown) => thrown);
				expect(error).toBe(failure);
				// Before: NETWORK, transient (queryOptionsFor's retry would retry it).
				expect(classify(error)).toEqual({ code: 'UNKNOWN', transient: false });
				api.close();
			});
		}
	}

	it('a fallback that rethrows the call\'s own network failure: still NETWORK', async () => {
		const api = coreClient({ fetch: async () => {
			throw new TypeError('fetch failed');
		}, retry: 0, fallback: (error: unknown) => {
			throw error;
		} });
		expect(await code(api.get('https://api.test/down'))).toBe('NETWORK');
		api.close();
	});
});
