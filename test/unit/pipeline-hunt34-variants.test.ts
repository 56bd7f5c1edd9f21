/**
 * Defect hunt, thirty-fourth round (the pipeline: identity and clears across the parts, one owner per call, bad input).
 * Each case failed on the sources before its fix.
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient } from '../../src/entries/core.js';
import { createClient as createPreset, memoryStore, outbox } from '../../src/entries/index.js';
import { failover } from '../../src/entries/failover.js';
import { hedge } from '../../src/entries/hedge.js';

const code = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'OK', (error: unknown) => classify(error).code);

/** An object whose every trap throws: what an app's Proxy over options (a store's, a validation library's) may be. */
const hostile = (): object => new Proxy({}, Object.fromEntries(['get', 'has', 'ownKeys', 'getPrototypeOf', 'getOwnPropertyDescriptor'].map((trap) => [trap, () => {
	throw new Error(`${trap} trap`);
}])));

/** What making a client did: 'none', or the error's name (and the first words of its message). */
const thrown = (make: () => unknown): string => {
	try {
		make();
		return 'none';
	} catch (error) {
		return `${(error as Error).name}: ${(error as Error).message.split(':')[0]}`;
	}
};

describe('options that cannot be read (a Proxy whose traps throw) are a TypeError at createClient, extend() and create(), never the trap\'s error', () => {
	it('extend() given such headers, hooks, searchParams, retry or context, or such options whole; createClient given such options, context, or the preset\'s breaker, staleCache or retryBudget', async () => {
		const fetch = async (): Promise<Response> => new Response('ok');
		const api = createClient({ fetch });
		const preset = createPreset({ fetch, store: memoryStore, name: `hunt34-read-${Math.random()}` });
		const refused = 'TypeError: The client\'s options could not be read';
		// Before: the trap's own Error for each ('Error: get trap', 'Error: ownKeys trap', 'Error: has trap'), thrown by ky's
		// merge (extend), the preset's plain options read, the retry budget's, or ky's instance.
		expect([
			thrown(() => api.extend({ headers: hostile() as HeadersInit })),
			thrown(() => api.extend({ hooks: hostile() as never })),
			thrown(() => api.extend({ searchParams: hostile() as never })),
			thrown(() => api.extend({ retry: hostile() as never })),
			thrown(() => api.extend({ context: hostile() as never })),
			thrown(() => api.extend(hostile() as never)),
			thrown(() => api.extend(() => hostile() as never)),
			thrown(() => api.create(hostile() as never)),
			thrown(() => createClient(hostile() as never)),
			thrown(() => createClient({ fetch, context: hostile() as never })),
			thrown(() => createClient({ fetch, retryBudget: hostile() as never })),
			thrown(() => createPreset({ fetch, store: memoryStore, breaker: hostile() as never })),
			thrown(() => createPreset({ fetch, store: memoryStore, staleCache: hostile() as never })),
			thrown(() => preset.extend({ breaker: hostile() as never })),
		]).toEqual(Array.from({ length: 14 }, () => refused));
		// Options a Proxy passes through are read as any others; a policy's create() that throws is still its own error.
		const passing = createPreset({ fetch, store: memoryStore, breaker: new Proxy({ consecutiveFailures: 3 }, {}), staleCache: new Proxy({ maxStaleMs: 1_000 }, {}) });
		expect(thrown(() => api.extend({ headers: new Proxy({ 'x-a': '1' }, {}) }).close())).toBe('none');
		expect(thrown(() => createClient({ fetch, audit: { slot: 'audit', create: () => {
			throw new Error('mine');
		} } } as never))).toBe('Error: mine');
		expect(await code(passing.get('https://api.test/a'))).toBe('OK');
		passing.close();
		preset.close();
		api.close();
	});
});

describe('a write whose Idempotency-Key the caller gives as undefined (not given) is not the caller\'s keyed write: the outbox\'s key on it never sends it to a mirror nor hedges it', () => {
	/** What the origins saw: method, host, and whether a key was sent. */
	const origins = (status: (url: string) => number, delayMs = 0) => {
		const seen: string[] = [];
		const fetch = (async (request: Request) => {
			seen.push(`${request.method} ${new URL(request.url).host} ${request.headers.has('idempotency-key') ? 'keyed' : 'unkeyed'}`);
			await new Promise((resolve) => setTimeout(resolve, delayMs));
			return new Response('x', { status: status(request.url) });
		}) as typeof globalThis.fetch;
		return { seen, fetch };
	};
	// `headers: { 'Idempotency-Key': key }` with an optional `key`: ky drops the header, the outbox puts its own.
	const maybeKey: string | undefined = undefined;

	it('failover(): the write failed transiently at its origin is queued, never sent to the mirror; a key the caller gives still goes there', async () => {
		const send = async (key: string | undefined): Promise<[string, string[]]> => {
			const { seen, fetch } = origins((url) => (url.includes('api.test') ? 503 : 200));
			const api = createClient({ fetch, store: memoryStore, name: `hunt34-failover-${Math.random()}`, outbox: outbox(), failover: failover({ mirrors: { 'https://api.test': ['https://mirror.test'] } }), retry: 0 });
			const outcome = await code(api.post('https://api.test/todos', { json: {}, headers: { 'Idempotency-Key': key } }));
			api.close();
			return [outcome, seen];
		};

		// Before: ['OK', ['POST api.test keyed', 'POST mirror.test keyed']], sent to the mirror under the outbox's key.
		expect(await send(maybeKey)).toEqual(['QUEUED', ['POST api.test keyed']]);
		expect(await send('mine')).toEqual(['OK', ['POST api.test keyed', 'POST mirror.test keyed']]);
	});

	it('hedge(): a slow write is sent once; with a key the caller gives, it is hedged', async () => {
		const { seen, fetch } = origins(() => 200, 150);
		const api = createClient({ fetch, store: memoryStore, name: `hunt34-hedge-${Math.random()}`, outbox: outbox(), hedge: hedge({ delayMs: 20 }), retry: 0 });
		// Before: sent twice at once (['POST api.test keyed', 'POST api.test keyed']).
		expect(await code(api.post('https://api.test/todos', { json: {}, headers: { 'Idempotency-Key': maybeKey } }))).toBe('OK');
		expect(seen).toEqual(['POST api.test keyed']);
		seen.length = 0;
		expect(await code(api.post('https://api.test/todos', { json: {}, headers: { 'Idempotency-Key': 'mine' } }))).toBe('OK');
		expect(seen).toEqual(['POST api.test keyed', 'POST api.test keyed']);
		api.close();
	});
});
