/**
 * Bad input and the newcomer (defect hunt, thirty-fifth round): API.md "Option values" ("a value of the wrong type or
 * out of range … is a RangeError or TypeError naming the option where it is given (`createClient`, …), and per call an
 * `InvalidRequestError` before any I/O"). No timing: a fake `fetch` records what went out.
 *
 * - A function as `searchParams`, or as one of its values (a record's or a pair's), was sent as its source text
 *   (`?page=()+%3D>+1`) or as no query at all (a function is a record of no keys): now refused, naming `searchParams`.
 * - `extend({ headers: [[name, value]] })` with a value fetch refuses threw the platform's TypeError as ky's merge
 *   threw it: naming no option, and showing the value (a credential: `Bearer s3cret`), which the same headers given
 *   as a record (or to `createClient`) hide. Now the same TypeError as there: `headers` named, the value not shown.
 */
import { describe, expect, it } from 'vitest';
import { createClient, InvalidRequestError, memoryStore } from '../../src/entries/index.js';

const prefix = 'https://api.example.com/';

const recording = () => {
	const sent: string[] = [];
	const fetch = (async (request: Request) => {
		sent.push(request.url);
		return new Response('ok');
	}) as typeof globalThis.fetch;
	return { sent, fetch };
};

describe('a function given as searchParams, or as one of its values', () => {
	const broken: Array<[string, () => unknown]> = [
		['a function value', () => ({ page: () => 1 })],
		['a function in a pair', () => [['page', () => 1]]],
		['a function', () => () => 1],
	];

	it.each(broken)('%s: an error naming `searchParams` at createClient and extend(), per call an InvalidRequestError before any I/O', async (_what, make) => {
		const { sent, fetch } = recording();
		expect(() => createClient({ prefix, searchParams: make() as never, fetch, store: memoryStore })).toThrow(/`searchParams`/);
		const api = createClient({ prefix, fetch, store: memoryStore, retry: 0 });
		expect(() => api.extend({ searchParams: make() as never })).toThrow(/`searchParams`/);
		const error = await api.get('users', { searchParams: make() as never }).then(() => undefined, (thrown: unknown) => thrown);
		api.close();
		// Before: sent, as https://api.example.com/users?page=%28%29+%3D%3E+1 (or with no query at all).
		expect(sent).toEqual([]);
		expect(error).toBeInstanceOf(InvalidRequestError);
		expect((error as Error).message).toMatch(/`searchParams`/);
	});

	it('every other value stays sent as ky sends it', async () => {
		const { sent, fetch } = recording();
		const api = createClient({ prefix, fetch, store: memoryStore, retry: 0 });
		await api.get('x', { searchParams: { a: 1, b: true, c: null, d: undefined, e: 'f' } as never });
		await api.get('x', { searchParams: [['a', 1]] as never });
		api.close();
		expect(sent).toEqual([`${prefix}x?a=1&b=true&c=null&e=f`, `${prefix}x?a=1`]);
	});
});

describe('extend() with headers as pairs that fetch refuses', () => {
	it('is the TypeError naming `headers`, without the value, as for the same headers as a record', () => {
		const { fetch } = recording();
		const api = createClient({ prefix, fetch, store: memoryStore, retry: 0 });
		const thrown = (headers: unknown): unknown => {
			try {
				api.extend({ headers: headers as never });
			} catch (error) {
				return error;
			}

			return undefined;
		};
		const record = thrown({ authorization: 'Bearer s3cret\u0000x' }) as Error;
		const pairs = thrown([['authorization', 'Bearer s3cret\u0000x']]) as Error;
		api.close();
		expect(record).toBeInstanceOf(TypeError);
		expect(record.message).not.toContain('s3cret');
		// Before: TypeError 'Headers.append: "Bearer s3cret\0x" is an invalid header value.'
		expect(pairs).toBeInstanceOf(TypeError);
		expect(pairs.message).toMatch(/^`headers` is refused by fetch/);
		expect(pairs.message).not.toContain('s3cret');
		expect(pairs.cause).toBeUndefined();
		expect((thrown([['page']]) as Error).message).toMatch(/^`headers` is refused by fetch/);
	});
});
