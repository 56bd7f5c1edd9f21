/**
 * Defect hunt, twenty-first round (failover and hedge). API.md: failover moves a call to a mirror only
 * when it "failed transiently" (`classify()`'s vocabulary); bad options are a `RangeError` naming the
 * option at creation, before any I/O.
 */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { failover } from '../../src/entries/failover.js';

/** A `fetch` answering by origin (`answers`, a status or a body), recording each URL it was sent. */
const byOrigin = (answers: Record<string, number>) => {
	const sent: string[] = [];
	const fetch = (async (request: Request) => {
		sent.push(request.url);
		const status = answers[new URL(request.url).origin] ?? 200;
		// As fetch's own answers: its URL the request's.
		return Object.defineProperty(new Response(`${new URL(request.url).host} ${status}`, { status }), 'url', { value: request.url });
	}) as typeof globalThis.fetch;
	return { sent, fetch };
};

describe('failover({ mirrors }): bad mirrors are a RangeError at creation', () => {
	it('two keys naming the same origin (a trailing slash, another case, the default port) are refused, naming the option', () => {
		for (const twin of ['https://api.example/', 'https://API.example', 'https://api.example:443', 'HTTPS://api.example']) {
			// Before: no error; the later key's list silently replaced the earlier one's.
			expect(() => failover({ mirrors: { 'https://api.example': ['https://eu.example'], [twin]: ['https://us.example'] } }), twin)
				.toThrow(RangeError);
			expect(() => failover({ mirrors: { 'https://api.example': ['https://eu.example'], [twin]: ['https://us.example'] } }), twin)
				.toThrow(/failover\.mirrors/);
		}
	});

	it('an http:// mirror of an https:// primary (a downgrade) is refused; an https mirror of an http primary is not', () => {
		// Before: accepted; a failed call went to http://eu.example in the clear.
		expect(() => failover({ mirrors: { 'https://api.example': ['http://eu.example'] } })).toThrow(RangeError);
		expect(() => failover({ mirrors: { 'https://api.example': ['https://us.example', 'HTTP://eu.example/api'] } })).toThrow(/failover\.mirrors\['https:\/\/api\.example'\]\[1\]/);
		expect(() => failover({ mirrors: { 'http://api.example': ['https://eu.example', 'http://us.example'] } })).not.toThrow();
	});

	it('a hole, a non-string or an empty entry in a mirror list is refused', () => {
		// A hole at index 0 (an array literal with an empty slot).
		const holed: string[] = [];
		holed[1] = 'https://eu.example';
		const lists: Array<[string, unknown[]]> = [
			['a hole', holed],
			['undefined', [undefined, 'https://eu.example']],
			['null', ['https://eu.example', null]],
			['a URL object', [new URL('https://eu.example')]],
			['an object with toString', [{ toString: () => 'https://eu.example' }]],
			['an empty string', ['']],
			['a blank string', ['  ']],
		];
		for (const [name, list] of lists) {
			// Before (a hole, a URL object, an object with toString): accepted; a hole became the mirror "undefined".
			expect(() => failover({ mirrors: { 'https://api.example': list as string[] } }), name).toThrow(RangeError);
		}
	});

	it('a hole in a list does not reach a call: no attempt is sent to a URL built from undefined', async () => {
		const { sent, fetch } = byOrigin({ 'https://api.example': 503, 'https://eu.example': 503 });
		// A hole at index 1.
		const holed = ['https://eu.example'];
		holed.length = 2;
		let error: unknown;
		try {
			const api = createClient({ retry: 0, retryBudget: false, fetch, failover: failover({ mirrors: { 'https://api.example': holed } }) });
			await api.get('https://api.example/x', { throwHttpErrors: false });
			api.close();
		} catch (caught) {
			error = caught;
		}

		// Before: [false, ['https://api.example/x', 'https://eu.example/x']]: accepted, the hole read as a mirror "undefined" (its attempt a TypeError, swallowed).
		expect([error instanceof RangeError, sent]).toEqual([true, []]);
	});
});
