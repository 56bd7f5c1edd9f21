/**
 * Bad input, the pipeline's slots and the newcomer (defect hunt, thirty-sixth round): API.md "Option values" ("a value
 * of the wrong type or out of range … is a RangeError or TypeError naming the option where it is given (`createClient`,
 * …), and per call an `InvalidRequestError` before any I/O"). No timing: a fake `fetch` records what went out.
 *
 * - A Symbol in `searchParams` (a record's value or a pair's) was refused alone, but sent as the text `Symbol(page)`
 *   where ky's merge joined it to a call's client's query.
 * - A `Map` (or a `Set`, a generator: an iterable that is no list of pairs nor `URLSearchParams`) as `searchParams` was
 *   read by ky as a record of its own keys, none: every call went out without its query, silently. Now refused.
 * - `extend()` checked only the options ky's merge made: a child's hook list that is no list (`beforeRequest: 5`) was
 *   merged as none (its client made, the hook never run), and a child's query with a function or a Symbol in it, joined
 *   to the parent's query, was sent as text. Now the child's own are checked as `createClient` checks them.
 * - A body an app's policy gives its run (`next({ body })`) over a SharedArrayBuffer was sent as the text
 *   '[object SharedArrayBuffer]', where the same body given to the call (or by an `init` hook) rejects before any I/O.
 * - `searchParams` as pairs refused (a function in one) was said with every pair's value: `got [["token","s3cret"],…]`,
 *   a sensitive query value in the error's message (and every log that shows it). Now a pair is shown as `[…]`.
 */
import { describe, expect, it } from 'vitest';
import { createClient, InvalidRequestError, memoryStore } from '../../src/entries/index.js';
import type { Policy, PolicyParts } from '../../src/entries/policy.js';

const prefix = 'https://api.example.com/';

const recording = () => {
	const sent: string[] = [];
	const fetch = (async (request: Request) => {
		sent.push(request.url);
		return new Response('ok');
	}) as typeof globalThis.fetch;
	return { sent, fetch };
};

const rejection = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (thrown: unknown) => thrown);

describe('a Symbol in searchParams joined to another query', () => {
	const broken: Array<[string, () => unknown]> = [
		['a record\'s value', () => ({ page: Symbol('page') })],
		['a pair\'s value', () => [['page', Symbol('page')]]],
	];

	it.each(broken)('%s: per call an InvalidRequestError naming `searchParams` before any I/O, also where the client has a query', async (_what, make) => {
		const { sent, fetch } = recording();
		const api = createClient({ prefix, fetch, store: memoryStore, retry: 0, searchParams: { a: '1' } });
		const error = await rejection(api.get('users', { searchParams: make() as never }));
		api.close();
		// Before: sent, as https://api.example.com/users?a=1&page=Symbol%28page%29.
		expect(sent).toEqual([]);
		expect(error).toBeInstanceOf(InvalidRequestError);
		expect((error as Error).message).toMatch(/`searchParams`/);
	});
});

describe('a Map (or another iterable that is no list) as searchParams', () => {
	const broken: Array<[string, () => unknown]> = [
		['a Map', () => new Map([['page', '2']])],
		['a Set', () => new Set([['page', '2']])],
		['a generator', () => (function* pairs() {
			yield ['page', '2'];
		})()],
	];

	it.each(broken)('%s: an error naming `searchParams` at createClient and extend(), per call (api.get, api()) an InvalidRequestError before any I/O', async (_what, make) => {
		const { sent, fetch } = recording();
		expect(() => createClient({ prefix, searchParams: make() as never, fetch, store: memoryStore }).close()).toThrow(/`searchParams`/);
		const api = createClient({ prefix, fetch, store: memoryStore, retry: 0 });
		expect(() => api.extend({ searchParams: make() as never }).close()).toThrow(/`searchParams`/);
		const errors = [await rejection(api.get('users', { searchParams: make() as never })), await rejection(api('users', { searchParams: make() as never }))];
		api.close();
		// Before: sent as https://api.example.com/users, twice: no query.
		expect(sent).toEqual([]);
		for (const error of errors) {
			expect(error).toBeInstanceOf(InvalidRequestError);
			expect((error as Error).message).toMatch(/`searchParams`/);
		}
	});

	it('a URLSearchParams (a subclass too), a record, pairs and a string stay sent', async () => {
		const { sent, fetch } = recording();
		const api = createClient({ prefix, fetch, store: memoryStore, retry: 0 });
		await api.get('x', { searchParams: new (class extends URLSearchParams {})({ a: '1' }) });
		await api.get('x', { searchParams: new URLSearchParams([['a', '1']]) });
		await api.get('x', { searchParams: { a: '1' } });
		await api.get('x', { searchParams: [['a', '1']] });
		await api.get('x', { searchParams: 'a=1' });
		api.close();
		expect(sent).toEqual(Array(5).fill(`${prefix}x?a=1`));
	});
});

describe('extend() given a wrong hook list or query that ky\'s merge would hide', () => {
	const hook = (): void => undefined;
	const cases: Array<[string, object, object, RegExp]> = [
		['a number as a hook list', {}, { hooks: { beforeRequest: 5 } }, /`hooks\.beforeRequest`/],
		['an object as a hook list, the parent has one', { hooks: { beforeRequest: [hook] } }, { hooks: { afterResponse: {} } }, /`hooks\.afterResponse`/],
		['a function in the query, the parent has one', { searchParams: { a: '1' } }, { searchParams: { page: () => 1 } }, /`searchParams`/],
		['a function as the query, the parent has one', { searchParams: { a: '1' } }, { searchParams: () => 1 }, /`searchParams`/],
		['a Symbol in the query, the parent has one', { searchParams: { a: '1' } }, { searchParams: [['page', Symbol('page')]] }, /`searchParams`/],
	];

	it.each(cases)('%s: an error naming the option, as at createClient', async (_what, parent, child, named) => {
		const { sent, fetch } = recording();
		const api = createClient({ prefix, fetch, store: memoryStore, retry: 0, ...parent });
		expect(() => createClient({ prefix, fetch, store: memoryStore, ...child } as never)).toThrow(named);
		let thrown: unknown;
		try {
			const made = api.extend(child as never);
			// Before: made; its call sent (the query as text: https://api.example.com/x?a=1&page=%28%29+%3D%3E+1).
			await made.get('x');
			made.close();
		} catch (error) {
			thrown = error;
		}

		api.close();
		expect(sent).toEqual([]);
		expect(thrown).toBeInstanceOf(RangeError);
		expect((thrown as Error).message).toMatch(named);
	});

	it('a child\'s wrong value names no sensitive query value (the client\'s list, its parent\'s too)', () => {
		const { fetch } = recording();
		const api = createClient({ prefix, fetch, store: memoryStore, sensitiveParams: ['sig2'] });
		expect(() => api.extend({ prefix: 'https://api.example.com:8O80/?sig2=s3cret&token=t0k' })).toThrow(/`prefix`/);
		try {
			api.extend({ prefix: 'https://api.example.com:8O80/?sig2=s3cret&token=t0k' });
		} catch (error) {
			expect((error as Error).message).not.toMatch(/s3cret|t0k/);
		}

		api.close();
	});

	it('a child\'s valid hook lists and query still merge as ky merges them', async () => {
		const { sent, fetch } = recording();
		const seen: string[] = [];
		const api = createClient({ prefix, fetch, store: memoryStore, retry: 0, searchParams: { a: '1' }, hooks: { beforeRequest: [() => void seen.push('parent')] } });
		const child = api.extend({ searchParams: [['b', '2']], hooks: { beforeRequest: [() => void seen.push('child')] } });
		await child.get('x');
		child.close();
		api.close();
		expect(sent).toEqual([`${prefix}x?a=1&b=2`]);
		expect(seen).toEqual(['parent', 'child']);
	});
});

describe('a body a wrap gives its run (next({ body })) that fetch would send as text', () => {
	const mine = (parts: PolicyParts): Policy => ({ slot: 'mine', create: () => parts });

	it('rejects the call with InvalidRequestError before any I/O, as the call\'s own body would', async () => {
		const sent: string[] = [];
		const fetch = (async (request: Request) => {
			sent.push(await request.text());
			return new Response('ok');
		}) as typeof globalThis.fetch;
		const bad = new SharedArrayBuffer(4);
		const api = createClient({ prefix, fetch, store: memoryStore, retry: 0, mine: mine({ wrap: (_call, next) => next({ body: bad as never }) }) } as never);
		const own = await rejection(api.post('x', { body: bad as never }));
		const error = await rejection(api.post('x', { body: 'mine' }));
		api.close();
		expect(own).toBeInstanceOf(InvalidRequestError);
		// Before: sent, as '[object SharedArrayBuffer]'.
		expect(sent).toEqual([]);
		expect(error).toBeInstanceOf(InvalidRequestError);
		expect((error as Error).message).toMatch(/`body`/);
	});

	it('a body fetch takes stays sent', async () => {
		const sent: string[] = [];
		const fetch = (async (request: Request) => {
			sent.push(await request.text());
			return new Response('ok');
		}) as typeof globalThis.fetch;
		const api = createClient({ prefix, fetch, store: memoryStore, retry: 0, mine: mine({ wrap: (_call, next) => next({ body: new Uint8Array([104, 105]) }) }) } as never);
		await api.post('x', { body: 'mine' });
		api.close();
		expect(sent).toEqual(['hi']);
	});
});

describe('refused searchParams pairs in an error message', () => {
	it('show no pair\'s value (a sensitive query parameter\'s), at createClient, extend() and per call', async () => {
		const { sent, fetch } = recording();
		const pairs = (): unknown => [['token', 's3cret'], ['page', () => 1]];
		const messages: string[] = [];
		for (const make of [() => createClient({ prefix, fetch, store: memoryStore, searchParams: pairs() as never }), () => createClient({ prefix, fetch, store: memoryStore }).extend({ searchParams: pairs() as never })]) {
			try {
				make();
			} catch (error) {
				messages.push((error as Error).message);
			}
		}

		const api = createClient({ prefix, fetch, store: memoryStore, retry: 0 });
		messages.push(((await rejection(api.get('x', { searchParams: pairs() as never }))) as Error).message);
		api.close();
		expect(sent).toEqual([]);
		expect(messages).toHaveLength(3);
		for (const message of messages) {
			// Before: '`searchParams` must be … with no function in it; got [["token","s3cret"],["page",function]]'.
			expect(message).toMatch(/`searchParams`.*got \[\[…\],\[…\]\]/);
			expect(message).not.toContain('s3cret');
		}
	});
});
