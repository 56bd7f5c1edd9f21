/**
 * Defect hunt, fourth round (area D): variants of the client's surface and of the open pipeline
 * that earlier rounds missed — a policy's part of the wrong type found at `createClient`, a wrap
 * that gives back no promise, client options fetch would refuse, `withContext` options.
 */
import { describe, expect, it } from 'vitest';
import type { Policy } from '../../src/entries/policy.js';
import { createClient as createCore, isFallback } from '../../src/entries/core.js';
import { createClient, InvalidRequestError } from '../../src/entries/index.js';
import { outcomeOf } from '../helpers/outcome.js';

const ok = (async () => new Response('{"ok":true}', { headers: { 'content-type': 'application/json' } })) as typeof fetch;

describe('a policy\'s part of the wrong type is its fault, found at createClient', () => {
	// The parts the client calls unguarded (a call, `clear()`, `withContext()`, the start): the others
	// (`settled`, `substituted`, `stats`, `close`, `checkCall`) are called under a catch, their fault the policy's own.
	const parts = ['layer', 'wrap', 'appliesTo', 'scopeOf', 'start', 'clear', 'holds', 'membersFor'] as const;

	it.each(parts)('`%s` that is not a function (a string, a number, an object) is a TypeError naming the slot and the part, every part already made closed', (part) => {
		for (const value of ['x', 5, {}]) {
			let closed = 0;
			const first: Policy = { slot: 'first', at: { wrap: 1 }, create: () => ({ close: () => { closed++; } }) };
			const audit = { slot: 'audit', create: () => ({ [part]: value }) } as unknown as Policy;
			for (const make of [createCore, createClient] as Array<(options: object) => unknown>) {
				closed = 0;
				expect(() => make({ fetch: ok, first, audit })).toThrow(TypeError);
				expect(() => make({ fetch: ok, first, audit })).toThrow(/`audit`.*`\w+`.*function/);
				expect(closed).toBe(2);
			}
		}
	});

	it('a part left out, or given as undefined or null, is no part: the client answers', async () => {
		for (const value of [undefined, null]) {
			const audit = { slot: 'audit', create: () => Object.fromEntries(parts.map((part) => [part, value])) } as unknown as Policy;
			const api = createCore({ fetch: ok, audit } as never);
			expect((await api.get('https://api.test/')).status).toBe(200);
			await api.clear();
			api.close();
		}
	});
});

describe('a wrap that gives back no promise of a Response fails that call only, as a rejection', () => {
	it('a wrap that returns a value at once (no promise) never throws from the client method: a Response answers, anything else rejects with a TypeError (UNKNOWN)', async () => {
		for (const value of [5, 'x', {}, new Response('mine', { status: 201 })]) {
			const audit: Policy = { slot: 'audit', create: () => ({ wrap: () => value as never }) };
			for (const make of [createCore, createClient] as Array<(options: object) => ReturnType<typeof createCore>>) {
				const api = make({ fetch: ok, retry: 0, audit });
				const [how, what] = await outcomeOf(() => api.get('https://api.test/a'));
				if (value instanceof Response) {
					expect([how, what]).toEqual(['resolved', 201]);
				} else {
					expect(how).toBe('rejected');
					expect(what).toBeInstanceOf(TypeError);
					expect((what as Error).message).toMatch(/Response/);
				}

				api.close();
			}
		}
	});

	it('a wrap that resolves with no Response (a number, a plain object) rejects with a TypeError saying so; undefined (ky.stop) still resolves undefined', async () => {
		for (const value of [5, { ok: true, status: 200 }, undefined]) {
			const audit: Policy = { slot: 'audit', create: () => ({ wrap: async () => value as never }) };
			const api = createCore({ fetch: ok, retry: 0, audit } as never);
			const [how, what] = await outcomeOf(() => api.get('https://api.test/a'));
			if (value === undefined) {
				expect([how, what]).toEqual(['resolved', undefined]);
			} else {
				expect(how).toBe('rejected');
				expect(what).toBeInstanceOf(TypeError);
				expect((what as Error).message).toMatch(/Response/);
			}

			api.close();
		}
	});
});

describe('a client option fetch would refuse is a TypeError naming it at createClient, never a failure of every call later', () => {
	const refused: Array<[string, object]> = [
		['headers', { headers: { 'a b': '1' } }],
		['headers', { headers: { 'x-a': 'one\ntwo' } }],
		['credentials', { credentials: 'bogus' }],
		['mode', { mode: 'bogus' }],
		['redirect', { redirect: 'bogus' }],
		['referrerPolicy', { referrerPolicy: 'x' }],
		['priority', { priority: 'x' }],
		['method', { method: 'GE T' }],
		['signal', { signal: 5 }],
		['window', { window: 5 }],
	];

	it.each(refused)('`%s`: %j', (name, option) => {
		for (const make of [createCore, createClient] as Array<(options: object) => ReturnType<typeof createCore>>) {
			expect(() => make({ fetch: ok, ...option })).toThrow(TypeError);
			expect(() => make({ fetch: ok, ...option })).toThrow(new RegExp(`\`${name}\``));
			// extend() makes a client too: the same error where the option is given.
			const parent = make({ fetch: ok });
			expect(() => parent.extend(option)).toThrow(new RegExp(`\`${name}\``));
			parent.close();
		}
	});

	it('what fetch takes is taken: headers as a record (a value undefined drops it, as in ky), a Headers, pairs; the enums\' own values; an AbortSignal', async () => {
		const seen: Request[] = [];
		const noting = (async (request: Request) => {
			seen.push(request);
			return new Response('ok');
		}) as typeof fetch;
		for (const headers of [{ 'x-a': '1', 'x-b': undefined }, new Headers({ 'x-a': '1' }), [['x-a', '1']]]) {
			const api = createCore({ fetch: noting, headers: headers as never, credentials: 'include', mode: 'cors', redirect: 'follow', referrerPolicy: 'no-referrer', priority: 'high', method: 'get', signal: new AbortController().signal });
			expect((await api.get('https://api.test/a')).status).toBe(200);
			expect(seen.at(-1)!.headers.get('x-a')).toBe('1');
			expect(seen.at(-1)!.headers.has('x-b')).toBe(false);
			api.close();
		}
	});
});

describe('withContext(ctx, options): options that are no object are a TypeError, never read as none', () => {
	const ctx = { waitUntil: () => undefined };

	it.each([['a number', 5], ['a string', 'x'], ['a boolean', true], ['an array', []], ['a function', () => ({ subrequests: 3 })]])('options %s', (_what, options) => {
		const api = createCore({ fetch: ok });
		expect(() => api.withContext(ctx, options as never)).toThrow(TypeError);
		expect(() => api.withContext(ctx, options as never)).toThrow(/withContext/);
		api.close();
	});

	it('nothing, undefined or null takes the defaults; an object is read', async () => {
		const api = createCore({ fetch: ok });
		for (const options of [undefined, null, {}, { subrequests: 10 }]) {
			// A ctx of its own each time: the count belongs to the ctx object.
			const bound = api.withContext({ waitUntil: () => undefined }, options as never);
			expect((await bound.get('https://api.test/a')).status).toBe(200);
			expect(bound.stats().subrequests).toBe(1);
		}

		expect(() => api.withContext(ctx, { subrequests: 0 })).toThrow(RangeError);
		api.close();
	});
});

describe('fallback: a Response given as the value answers every call it is used for', () => {
	const down = (async () => new Response('down', { status: 503 })) as typeof fetch;

	it('the client\'s fallback Response answers the second and third failed call as it answered the first (status, headers, body), marked as a fallback', async () => {
		const api = createCore({ fetch: down, retry: 0, fallback: new Response('{"offline":true}', { status: 203, headers: { 'content-type': 'application/json', 'x-own': 'yes' } }) });
		for (let index = 0; index < 3; index++) {
			const response = await api.get('https://api.test/a');
			expect(response.status).toBe(203);
			expect(response.headers.get('x-own')).toBe('yes');
			expect(isFallback(response)).toBe(true);
			expect(await response.json()).toEqual({ offline: true });
		}

		expect(await api.get('https://api.test/a').json()).toEqual({ offline: true });
		api.close();
	});
});

describe('fallback: a value JSON cannot serialize is found where it is given, never in place of a call\'s own error later', () => {
	const circular: Record<string, unknown> = {};
	circular.self = circular;

	it.each([['a BigInt', 1n], ['a circular object', circular], ['an object holding a BigInt', { n: 1n }]])('%s: a RangeError naming `fallback` at createClient; per call an InvalidRequestError before any I/O', async (_what, value) => {
		let sent = 0;
		const down = (async () => {
			sent++;
			return new Response('down', { status: 503 });
		}) as typeof fetch;
		expect(() => createCore({ fetch: down, retry: 0, fallback: value })).toThrow(/`fallback`/);
		const api = createCore({ fetch: down, retry: 0 });
		const error = await api.get('https://api.test/a', { fallback: value }).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(InvalidRequestError);
		expect((error as Error).message).toMatch(/`fallback`/);
		expect(sent).toBe(0);
		api.close();
	});

	it('what JSON serializes, a Response and a function are taken (null, a string, 0, an object)', async () => {
		const down = (async () => new Response('down', { status: 503 })) as typeof fetch;
		for (const value of [null, 'text', 0, { a: 1 }, new Response('"r"'), () => 'f']) {
			const api = createCore({ fetch: down, retry: 0, fallback: value });
			expect(isFallback(await api.get('https://api.test/a'))).toBe(true);
			api.close();
		}
	});
});

describe('per-call options that are an array are refused as ky refuses them, never read as none', () => {
	it('an array (empty, or of pairs) rejects with InvalidRequestError before any I/O, from every method; an object is read', async () => {
		let sent = 0;
		const counting = (async () => {
			sent++;
			return new Response('ok');
		}) as typeof fetch;
		for (const make of [createCore, createClient] as Array<(options: object) => ReturnType<typeof createCore>>) {
			sent = 0;
			const api = make({ fetch: counting, retry: 0 });
			for (const options of [[], [['timeout', 5]]]) {
				for (const call of [() => api.get('https://api.test/a', options as never), () => api('https://api.test/a', options as never), () => api.post('https://api.test/a', options as never)]) {
					const error = await call().catch((caught: unknown) => caught);
					expect(error).toBeInstanceOf(InvalidRequestError);
					expect((error as Error).message).toMatch(/options/);
				}
			}

			expect(sent).toBe(0);
			expect((await api.get('https://api.test/a', {})).status).toBe(200);
			api.close();
		}
	});
});

describe('prefix and baseUrl are a string or a URL (or false, none, as in ky): anything else is refused where it is given, never joined as text', () => {
	it.each([['prefix', 5], ['prefix', {}], ['prefix', true], ['baseUrl', 5], ['baseUrl', {}], ['baseUrl', ['https://api.test/']]])('%s: %j', async (name, value) => {
		const seen: string[] = [];
		const noting = (async (request: Request) => {
			seen.push(request.url);
			return new Response('ok');
		}) as typeof fetch;
		expect(() => createCore({ fetch: noting, [name]: value })).toThrow(new RegExp(`\`${name}\``));
		const api = createCore({ fetch: noting, baseUrl: 'https://api.test/v1/' });
		const error = await api.get('users', { [name]: value }).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(InvalidRequestError);
		expect((error as Error).message).toMatch(new RegExp(`\`${name}\``));
		expect(seen).toEqual([]);
		api.close();
	});

	it('a string or a URL is taken; false is none, as in ky', async () => {
		const seen: string[] = [];
		const noting = (async (request: Request) => {
			seen.push(request.url);
			return new Response('ok');
		}) as typeof fetch;
		const api = createCore({ fetch: noting, baseUrl: new URL('https://api.test/v1/'), prefix: 'https://api.test/v2' });
		await api.get('users');
		// (A URL object per call over the client's string is merged as ky merges it: ky's own behaviour.)
		await api.get('users', { prefix: 'https://api.test/v3/' });
		await api.get('https://api.test/v5/users', { prefix: false, baseUrl: false } as never);
		expect(seen).toEqual(['https://api.test/v2/users', 'https://api.test/v3/users', 'https://api.test/v5/users']);
		api.close();
	});
});
