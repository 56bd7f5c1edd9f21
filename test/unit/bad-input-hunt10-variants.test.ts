/**
 * Defect hunt, tenth round (area C, an open pipeline, ky as the engine, bad input and the newcomer):
 * API.md "Option values": "a value of the wrong type or out of range … is a RangeError or TypeError
 * naming the option where it is given (`createClient`, …), and per call an `InvalidRequestError`
 * before any I/O", never a failure of every call later.
 */
import { describe, expect, it } from 'vitest';
import { createClient, InvalidRequestError, memoryStore } from '../../src/entries/index.js';

const recording = () => {
	const sent: string[] = [];
	const fetch = (async (request: Request) => {
		sent.push(request.url);
		return new Response('ok');
	}) as typeof globalThis.fetch;
	return { sent, fetch };
};

describe('the client\'s searchParams that no URL can carry', () => {
	// Each fails every call's URL as ky builds it (a pair of the wrong length, a Symbol, a value whose text throws).
	const broken: Array<[string, () => unknown]> = [
		['a pair of one', () => [['page']]],
		['a pair of three', () => [['page', '1', '2']]],
		['a Symbol value', () => ({ page: Symbol('page') })],
		['a Symbol', () => Symbol('params')],
		['a value whose text throws', () => ({ page: { toString: () => { throw new Error('no text'); } } })],
	];

	it('is a TypeError naming `searchParams` at createClient and extend(), as a headers pair of the wrong length is; not a client whose every call rejects', async () => {
		const { sent, fetch } = recording();
		for (const [what, make] of broken) {
			expect(() => createClient({ prefix: 'https://api.example.com/', searchParams: make() as never, fetch, store: memoryStore }), what).toThrow(TypeError); // before: created, every call INVALID_REQUEST
			expect(() => createClient({ prefix: 'https://api.example.com/', searchParams: make() as never, fetch, store: memoryStore }), what).toThrow(/`searchParams`/);
			const api = createClient({ prefix: 'https://api.example.com/', fetch, store: memoryStore, retry: 0 });
			expect(() => api.extend({ searchParams: make() as never }), what).toThrow(/`searchParams`/);
			// Per call it stays an InvalidRequestError before any I/O.
			await expect(api.get('users', { searchParams: make() as never }), what).rejects.toBeInstanceOf(InvalidRequestError);
			api.close();
		}

		expect(sent).toEqual([]);
	});

	it('every form ky takes stays accepted, as ky sends it', async () => {
		const { sent, fetch } = recording();
		const fine: unknown[] = [null, 5, true, 'a=1', '?a=1', { a: undefined, b: 1 }, { a: null }, new URLSearchParams('a=1'), [['a', '1']], [], {}];
		for (const searchParams of fine) {
			const api = createClient({ prefix: 'https://api.example.com/', searchParams: searchParams as never, fetch, store: memoryStore, retry: 0 });
			await api.get('x');
			api.close();
		}

		expect(sent).toEqual(['https://api.example.com/x', 'https://api.example.com/x?5=', 'https://api.example.com/x?true=', 'https://api.example.com/x?a=1', 'https://api.example.com/x?a=1',
			'https://api.example.com/x?b=1', 'https://api.example.com/x?a=null', 'https://api.example.com/x?a=1', 'https://api.example.com/x?a=1', 'https://api.example.com/x', 'https://api.example.com/x']);
	});
});
