/**
 * Defect hunt, tenth round (area C, an open pipeline with one owner per call): API.md "Your own
 * policies": "A policy's faults stay its own: a band that is not a finite number … is a TypeError
 * naming the slot at createClient; a create() that throws makes createClient throw it (parts already
 * made are closed)", and README "a part that should be a function and is not (`layer`, `wrap`, …) is
 * a TypeError naming the slot".
 */
import { describe, expect, it } from 'vitest';
import { createClient as createCore, InvalidRequestError, replaceOption } from '../../src/entries/core.js';
import type { Policy } from '../../src/entries/policy.js';
import { createClient, memoryStore, outbox } from '../../src/entries/index.js';
import { auth } from '../../src/entries/auth.js';

const ok = (async () => new Response('ok')) as typeof fetch;

describe('a layer that makes no per-attempt function, or throws as the client composes it', () => {
	const made = (slot: string, closed: string[]): Policy => ({ slot, create: () => ({ close: () => closed.push(slot) }) });

	it('a layer(next) that gives back no function (a number, undefined, an object) is a TypeError naming the slot at createClient, the parts made closed; not a client whose every call fails with "(intermediate value) is not a function"', async () => {
		for (const returned of [5, undefined, {}]) {
			const closed: string[] = [];
			const make = () => createCore({ prefix: 'https://api.example.com/', fetch: ok, first: made('first', closed), broken: { slot: 'broken', create: () => ({ layer: () => returned }) } } as never);
			let error: unknown;
			try {
				const api = make();
				error = await api.get('x').then(() => 'resolved', (failure: unknown) => `call failed: ${(failure as Error).message}`); // before: 'call failed: (intermediate value)(intermediate value)(intermediate value) is not a function'
				api.close();
			} catch (caught) {
				error = caught;
			}

			expect([returned, error instanceof TypeError && (error as Error).message]).toEqual([returned, expect.stringMatching(/`broken` policy's `layer`/)]);
			expect(closed).toEqual(['first']);
		}
	});

	it('a layer(next) that throws makes createClient throw it with every part made closed, as a create() that throws does', () => {
		const closed: string[] = [];
		const fault = new Error('cannot compose');
		const make = () => createCore({ fetch: ok, first: made('first', closed), broken: { slot: 'broken', create: () => ({ layer: () => { throw fault; }, close: () => closed.push('broken') }) }, last: made('last', closed) } as never);
		expect(make).toThrow(fault);
		expect(closed.sort()).toEqual(['broken', 'first', 'last']); // before: []
	});

	it('an option ky refuses as the client is made (a `context` that is no object) throws ky\'s TypeError with every part made closed', () => {
		for (const context of [5, [], 'ctx']) {
			const closed: string[] = [];
			expect(() => createCore({ fetch: ok, context, first: made('first', closed), last: made('last', closed) } as never)).toThrow(TypeError);
			expect([context, closed.sort()]).toEqual([context, ['first', 'last']]); // before: []
		}
	});
});

describe('ky\'s replaceOption() on `retry` and `hooks` (API.md "extend() merges exactly as ky\'s extend does (hooks, context, searchParams, headers, replaceOption)")', () => {
	const failing = () => {
		const sent: string[] = [];
		const fetch = (async (request: Request) => {
			sent.push(`${request.method} ${request.headers.get('idempotency-key') ?? 'no key'}`);
			return new Response('', { status: 503 });
		}) as typeof globalThis.fetch;
		return { sent, fetch };
	};
	const now = () => 0;

	it('a call\'s or the client\'s retry: replaceOption({ … }) still asks the retry budget before each retry: a spent budget sends no retry', async () => {
		for (const where of ['call', 'client'] as const) {
			const { sent, fetch } = failing();
			const rules = replaceOption({ limit: 2, delay: now });
			const api = createCore({ prefix: 'https://api.example.com/', fetch, retryBudget: { ratio: 0, minRetries: 0 }, ...(where === 'client' ? { retry: rules } : {}) } as never);
			await api.get('x', where === 'call' ? { retry: rules } as never : undefined).catch(() => undefined);
			expect([where, sent.length, api.stats()['https://api.example.com']?.retriesRefused]).toEqual([where, 1, 1]); // before: 3 sent, 0 refused
			api.close();
		}
	});

	it('a POST whose retry: replaceOption({ methods: [\'post\'] }) lists it is retried with one Idempotency-Key, as with the plain object', async () => {
		for (const where of ['call', 'client'] as const) {
			const { sent, fetch } = failing();
			const rules = replaceOption({ limit: 2, delay: now, methods: ['post'] });
			const api = createCore({ prefix: 'https://api.example.com/', fetch, retryBudget: false, ...(where === 'client' ? { retry: rules } : {}) } as never);
			await api.post('x', where === 'call' ? { retry: rules } as never : undefined).catch(() => undefined);
			expect(sent).toHaveLength(3);
			expect([where, new Set(sent).size, sent[0]]).toEqual([where, 1, expect.stringMatching(/^POST [\da-f-]{36}$/)]); // before: 'POST no key' three times
			api.close();
		}
	});

	it('a call\'s retry: replaceOption({ … }) replaces the client\'s retry rules, as in ky: the client\'s statusCodes no longer apply', async () => {
		const { sent, fetch } = failing();
		const api = createCore({ prefix: 'https://api.example.com/', fetch, retryBudget: false, retry: { limit: 2, delay: now, statusCodes: [418] } });
		await api.get('x').catch(() => undefined);
		expect(sent).toHaveLength(1); // 503 is not one of the client's statusCodes
		await api.get('x', { retry: replaceOption({ limit: 1, delay: now }) } as never).catch(() => undefined);
		expect(sent).toHaveLength(3); // ky's statusCodes (503 among them), one retry
		api.close();
	});

	it('a bad value inside the mark is refused as the same value without it: a RangeError at createClient, an InvalidRequestError per call before any I/O', async () => {
		const { sent, fetch } = failing();
		expect(() => createCore({ fetch, hooks: replaceOption({ beforeRequest: [5] }) } as never)).toThrow(/`hooks.beforeRequest`/); // before: created
		expect(() => createCore({ fetch, retry: replaceOption({ limit: -1 }) } as never)).toThrow(/`retry.limit`/);
		const api = createCore({ prefix: 'https://api.example.com/', fetch, retryBudget: false });
		const refused = await api.get('x', { hooks: replaceOption({ beforeRequest: [5] }) } as never).catch((error: unknown) => error);
		expect(refused).toBeInstanceOf(InvalidRequestError); // before: TypeError 'hook is not a function' (UNKNOWN)
		expect((refused as Error).message).toContain('`hooks.beforeRequest`');
		expect(sent).toEqual([]);
		api.close();
	});
});

describe('a call\'s headers: replaceOption({ … }) (ky\'s way to send the call\'s headers in place of the client\'s)', () => {
	const echoing = () => {
		const sent: Array<Record<string, string>> = [];
		const fetch = (async (request: Request) => {
			sent.push(Object.fromEntries(request.headers));
			return new Response('ok');
		}) as typeof globalThis.fetch;
		return { sent, fetch };
	};

	it('is sent as ky sends it: the call\'s headers only, on a GET of the preset, a keyed POST and a call a wrapper adds a header to', async () => {
		const { sent, fetch } = echoing();
		const api = createClient({ prefix: 'https://api.example.com/', fetch, store: memoryStore, headers: { 'x-client': 'c', 'x-both': 'client' }, retry: 0 });
		await api.get('x', { headers: replaceOption({ 'x-call': '1', 'x-both': 'call' }) } as never); // before: InvalidRequestError 'Headers constructor: Key Symbol(replaceOption) in init is a symbol ...'
		await api.post('x', { headers: replaceOption({ 'x-call': '2' }), idempotencyKey: 'key-1' } as never);
		const authed = createClient({ prefix: 'https://api.example.com/', fetch, store: memoryStore, headers: { 'x-client': 'c' }, retry: 0, auth: auth({ token: () => 'T', refresh: () => 'T' }) });
		await authed.get('x', { headers: replaceOption({ 'x-call': '3' }) } as never);
		// The outbox's wrapper adds the write's Idempotency-Key to the run (next({ headers })).
		const queuing = createClient({ prefix: 'https://api.example.com/', fetch, store: memoryStore, headers: { 'x-client': 'c' }, retry: 0, outbox: outbox() });
		await queuing.post('x', { headers: replaceOption({ 'x-call': '4' }), json: {} } as never);
		api.close();
		authed.close();
		queuing.close();
		expect(sent.map((headers) => [headers['x-client'], headers['x-call'], headers['x-both'], headers['idempotency-key'], headers['authorization']])).toEqual([
			[undefined, '1', 'call', undefined, undefined],
			[undefined, '2', undefined, 'key-1', undefined],
			[undefined, '3', undefined, undefined, 'Bearer T'],
			[undefined, '4', undefined, expect.stringMatching(/^[\da-f-]{36}$/), undefined],
		]);
	});
});
