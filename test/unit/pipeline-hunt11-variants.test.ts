/**
 * Defect hunt, eleventh round (area C, an open pipeline with one owner per call, ky as the engine, bad
 * input, the newcomer). API.md "Option values": "For every option of the client, a call and every
 * factory: `undefined` means "not given" (the default applies), as the types allow", and "extend()
 * merges exactly as ky's extend does": ky's own keys merge as ky merges them; steadfetch's keys (the
 * slots, `retryBudget`, `identity`, the sensitive lists …) are ours, and one given as `undefined` to
 * `extend()` is not given: the parent's value stays, as with `extend({})`.
 */
import { describe, expect, it, vi } from 'vitest';
import { createClient, isStale, memoryStore, outbox } from '../../src/entries/index.js';
import { createClient as createCore, replaceOption } from '../../src/entries/core.js';
import { queryOptionsFor } from '../../src/entries/tanstack-query.js';
import { recording } from '../helpers/test-stores.js';

const answering = (state: { down: boolean; sent: number }) => (async () => {
	state.sent++;
	if (state.down) {
		throw new TypeError('fetch failed');
	}

	return new Response('{"n":1}', { headers: { 'content-type': 'application/json' } });
}) as typeof fetch;

/** What a call ends in, as text. */
const outcome = (promise: Promise<Response>) => promise.then((response) => `${response.status}${isStale(response) ? ' stale' : ''}`, (error: Error) => error.constructor.name);

/** The two forms of extend(): an object, and a function of the parent's options. */
const forms = [
	['object', (given: Record<string, unknown>) => given],
	['function', (given: Record<string, unknown>) => (parent: Record<string, unknown>) => ({ ...parent, ...given })],
] as const;

describe('extend() with one of steadfetch\'s own options given as `undefined` keeps the parent\'s value', () => {
	it('`staleCache: undefined` under a parent with `staleCache: false`: the child stores and serves no copy', async () => {
		for (const [form, of] of forms) {
			const state = { down: false, sent: 0 };
			const parent = createClient({ fetch: answering(state), prefix: 'https://api.example.com/', retry: 0, breaker: false, staleCache: false, store: memoryStore, name: `u-stale-${form}` });
			const child = parent.extend(of({ staleCache: undefined }) as never);
			await child.get('a').text();
			state.down = true;
			// before: '200 stale' (the stale cache on again in the child)
			expect([form, await outcome(child.get('a'))]).toEqual([form, 'NetworkError']);
			child.close();
			parent.close();
		}
	});

	it('`sensitiveParams: undefined` / `sensitiveHeaders: undefined`: the parent\'s sensitive names still never reach storage', async () => {
		for (const [form, of] of forms) {
			const written: string[] = [];
			const parent = createClient({
				fetch: async () => new Response('{}', { headers: { 'content-type': 'application/json', 'cache-control': 'max-age=60' } }),
				prefix: 'https://api.example.com/', retry: 0, store: recording(written), name: `u-secret-${form}`, staleCache: { shared: false }, sensitiveParams: ['session'], sensitiveHeaders: ['x-api-key'],
			});
			const child = parent.extend(of({ sensitiveParams: undefined, sensitiveHeaders: undefined }) as never);
			await child.get('a?session=SECRET-11&page=1', { headers: { 'X-Api-Key': 'key-of-ann' } }).text();
			await vi.waitFor(() => expect(written.some((text) => text.includes('page=1'))).toBe(true));
			// before: 'r:~…~https://api.example.com/a?session=SECRET-11&page=1 …' (the parent's `session` stored in plain text)
			expect([form, written.filter((text) => /SECRET|key-of/.test(text)).length]).toEqual([form, 0]);
			child.close();
			parent.close();
		}
	});

	it('`outbox: undefined` under a parent with an outbox: the child queues writes as the parent does', async () => {
		for (const [form, of] of forms) {
			const state = { down: true, sent: 0 };
			const parent = createClient({ fetch: answering(state), prefix: 'https://api.example.com/', retry: 0, breaker: false, store: memoryStore, name: `u-outbox-${form}`, outbox: outbox() });
			const child = parent.extend(of({ outbox: undefined }) as never) as typeof parent;
			// before: 'NetworkError' (no outbox in the child; `child.outbox` threw "The outbox is off")
			expect([form, await outcome(child.post('todos', { json: { title: 'x' } }))]).toEqual([form, 'OutboxQueuedError']);
			expect(await child.outbox.size()).toBe(1);
			child.close();
			parent.close();
		}
	});

	it('a plain slot option object with a key given as `undefined` keeps the parent\'s value of that key', async () => {
		for (const [form, of] of forms) {
			const state = { down: true, sent: 0 };
			const parent = createClient({ fetch: answering(state), prefix: 'https://api.example.com/', retry: 0, staleCache: false, store: memoryStore, name: `u-breaker-${form}`, breaker: { consecutiveFailures: 1 } });
			const child = parent.extend(of({ breaker: { consecutiveFailures: undefined, openMs: 60_000 } }) as never);
			await outcome(child.get('a'));
			// The preset's plain options already merged so (a neighbour, kept here with the others).
			expect([form, child.breaker('https://api.example.com/').state]).toEqual([form, 'open']);
			child.close();
			parent.close();
		}
	});

	it('`identity: undefined`, `name: undefined`: the child\'s copies stay within the parent\'s identity and name', async () => {
		for (const [form, of] of forms) {
			const state = { down: false, sent: 0 };
			const store = memoryStore;
			const parent = createClient({ fetch: answering(state), prefix: 'https://api.example.com/', retry: 0, breaker: false, store, name: `u-who-${form}`, identity: () => 'ann' });
			const child = parent.extend(of({ identity: undefined, name: undefined }) as never);
			await child.get('a').text();
			await vi.waitFor(async () => expect((await parent.cache.list()).length).toBe(1));
			state.down = true;
			// before: the copy stored under no identity and the default name: the parent had none to serve
			expect([form, await outcome(parent.get('a'))]).toEqual([form, '200 stale']);
			child.close();
			parent.close();
		}
	});
});
describe('a call\'s `signal: replaceOption(signal)` (ky\'s way to send the call\'s signal in place of the client\'s)', () => {
	/** A fetch that answers after `ms` unless its signal aborts first (then it rejects with the signal's reason). */
	const slow = (ms: number, sent: { count: number }) => ((request: Request, init?: RequestInit) => {
		sent.count++;
		const signal = init?.signal ?? request.signal;
		return new Promise<Response>((resolve, reject) => {
			if (signal.aborted) {
				reject(signal.reason);
				return;
			}

			signal.addEventListener('abort', () => reject(signal.reason));
			setTimeout(() => resolve(new Response('{"n":1}', { headers: { 'content-type': 'application/json' } })), ms);
		});
	}) as typeof fetch;

	it('aborted while the attempt is in flight: rejects with the caller\'s reason, counted ABORTED, not retried, as with the plain signal (the preset and core)', async () => {
		for (const [entry, make, retry] of [
			['preset', (options: object) => createClient({ store: memoryStore, name: `u-signal-${Math.random()}`, ...options }), 0],
			['preset', (options: object) => createClient({ store: memoryStore, name: `u-signal-${Math.random()}`, ...options }), { limit: 2, delay: () => 0 }],
			['core', (options: object) => createCore(options), 0],
			['core', (options: object) => createCore(options), { limit: 2, delay: () => 0 }],
		] as const) {
			const sent = { count: 0 };
			const client = new AbortController();
			const api = make({ fetch: slow(5_000, sent), prefix: 'https://api.example.com/', retry, signal: client.signal });
			const retries: string[] = [];
			api.on('retry', (event) => retries.push(event.code ?? ''));
			const caller = new AbortController();
			const reason = new Error('the caller went away');
			const settled = api.get('a', { signal: replaceOption(caller.signal) as never }).then(() => 'resolved', (error: unknown) => error);
			await vi.waitFor(() => expect(sent.count).toBe(1));
			caller.abort(reason);
			// before: TimeoutError "Request timed out" (TIMEOUT: retried, counted toward unreachable and the breaker)
			expect([entry, await settled]).toEqual([entry, reason]);
			expect([entry, retries, sent.count]).toEqual([entry, [], 1]);
			expect([entry, api.stats()['https://api.example.com']?.failures]).toEqual([entry, { ABORTED: 1 }]);
			expect([entry, api.reachability('https://api.example.com/')]).toEqual([entry, 'unknown']);
			api.close();
		}
	});

	it('the client\'s own signal no longer aborts that call, as in ky', async () => {
		const sent = { count: 0 };
		const client = new AbortController();
		const api = createCore({ fetch: slow(20, sent), prefix: 'https://api.example.com/', retry: 0, signal: client.signal });
		const settled = api.get('a', { signal: replaceOption(new AbortController().signal) as never }).json();
		await vi.waitFor(() => expect(sent.count).toBe(1));
		client.abort(new Error('the client\'s signal'));
		expect(await settled).toEqual({ n: 1 });
		api.close();
	});
});

describe('the newcomer\'s `store: memoryStore()` (every policy is called, `outbox()`; a store is passed as its factory)', () => {
	it('is an error that says what `store` takes, at createClient of the preset and of steadfetch/core', () => {
		for (const make of [() => createClient({ store: memoryStore('x') as never }), () => createCore({ store: memoryStore('x') as never })]) {
			// before: "`store` must be a function; got object"
			expect(make).toThrow(/`store` must be a store factory, as `memoryStore` \(not `memoryStore\(\)`\); got object/);
		}
	});
});

describe('queryOptionsFor with the call\'s `searchParams: replaceOption({ … })`', () => {
	it('meta.steadfetchUrl holds the parameters inside the mark, the URL the query\'s call goes to', async () => {
		const sent: string[] = [];
		const api = createClient({ store: memoryStore, name: 'u-tanstack-mark', prefix: 'https://api.example.com/', fetch: (async (request: Request) => {
			sent.push(request.url);
			return new Response('{}', { headers: { 'content-type': 'application/json' } });
		}) as typeof fetch });
		const query = queryOptionsFor(api, 'todos', { searchParams: replaceOption({ page: 2 }) as never });
		await query.queryFn({ signal: new AbortController().signal, queryKey: ['todos'], meta: query.meta } as never);
		// before: 'https://api.example.com/todos?value=%5Bobject+Object%5D' (the mark read as the parameters)
		expect([query.meta.steadfetchUrl, sent]).toEqual(['https://api.example.com/todos?page=2', ['https://api.example.com/todos?page=2']]);
		api.close();
	});
});
