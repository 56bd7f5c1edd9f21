/**
 * Defect hunt, forty-first round (the open pipeline, one owner per call). What a wrapper gives one run of ky
 * (`next(extra)`) is read as the call's own options are: an option given as `undefined` is not given (API.md "Option
 * values": the client's and the call's value stand), and a `retry` is laid over the client's rules as a call's own `retry`
 * is (its `shouldRetry`, `statusCodes`, our defaults; POST and PATCH retried with an Idempotency-Key).
 */
import { replaceOption } from 'ky';
import { describe, expect, it } from 'vitest';
import { createClient as createCore } from '../../src/entries/core.js';
import { classify } from '../../src/entries/index.js';
import type { Policy, PolicyParts } from '../../src/entries/policy.js';
import { noting } from '../helpers/noting-parse-json.js';

/** An app policy whose wrapper runs ky once with `extra` (`next(extra)`). */
const giving = (extra: unknown): Policy<'audit'> => ({
	slot: 'audit',
	create: (): PolicyParts => ({ wrap: (_call, next) => next(extra as never) }),
}) as Policy<'audit'>;

const outcomeOf = (call: Promise<Response>): Promise<string> =>
	call.then((response) => `${response.status}`, (error: unknown) => classify(error).code);

/** An origin that answers `first` to the first request and 200 to the others, each request noted as `what(request)`. */
const origin = (first: number, what: (request: Request) => Promise<string> | string = () => '') => {
	const sent: string[] = [];
	const fetch = (async (request: Request) => {
		sent.push(await what(request));
		return new Response('ok', { status: sent.length === 1 ? first : 200 });
	}) as typeof globalThis.fetch;
	return { sent, fetch };
};

describe('next(extra): an option given as `undefined` is not given', () => {
	it('`headers: undefined` keeps the client\'s and the call\'s headers', async () => {
		const { sent, fetch } = origin(200, (request) => `${request.headers.get('x-client')} ${request.headers.get('x-call')}`);
		const api = createCore({ fetch, headers: { 'x-client': 'c' }, audit: giving({ headers: undefined }) });
		// Before: '200 ["null null"]' (ky's merge read `headers: undefined` as removing both).
		expect(`${await outcomeOf(api.get('https://api.test/a', { headers: { 'x-call': 'k' } }))} ${JSON.stringify(sent)}`).toBe('200 ["c k"]');
		api.close();
	});

	it('`stringifyJson: undefined` keeps the client\'s', async () => {
		const { sent, fetch } = origin(200, (request) => request.text());
		const api = createCore({ fetch, stringifyJson: () => '"S"', audit: giving({ stringifyJson: undefined }) });
		// Before: '200 ["{\"a\":1}"]' (JSON.stringify in the client's place).
		expect(`${await outcomeOf(api.put('https://api.test/a', { json: { a: 1 } }))} ${JSON.stringify(sent)}`).toBe('200 ["\\"S\\""]');
		api.close();
	});

	it('`retry: undefined` keeps the client\'s rules (its limit 0)', async () => {
		const { sent, fetch } = origin(503);
		const api = createCore({ fetch, retry: 0, audit: giving({ retry: undefined }) });
		// Before: '200 2' (ky's own defaults: a limit of 2).
		expect(`${await outcomeOf(api.get('https://api.test/a'))} ${sent.length}`).toBe('HTTP_5XX 1');
		api.close();
	});

	it('`body: undefined` keeps the call\'s body', async () => {
		const { sent, fetch } = origin(200, (request) => request.text());
		const api = createCore({ fetch, audit: giving({ body: undefined }) });
		expect(`${await outcomeOf(api.put('https://api.test/a', { body: 'mine' }))} ${JSON.stringify(sent)}`).toBe('200 ["mine"]');
		api.close();
	});
});

describe('next({ retry }): laid over the client\'s rules, as a call\'s own `retry`', () => {
	for (const retry of [1, { limit: 1 }]) {
		it(`${JSON.stringify(retry)}: the client's statusCodes and shouldRetry still decide, as per call`, async () => {
			for (const way of ['call', 'next'] as const) {
				const { sent, fetch } = origin(418);
				const asked: number[] = [];
				const api = createCore({
					fetch,
					retry: { limit: 0, delay: () => 0, statusCodes: [418], shouldRetry: ({ retryCount }) => void asked.push(retryCount) },
					audit: giving(way === 'next' ? { retry } : undefined),
				});
				// Before, through next(): '418 1 []' (ky's own rules: 418 is none of its statusCodes, no shouldRetry asked).
				expect(`${way} ${await outcomeOf(api.get('https://api.test/a', way === 'call' ? { retry } : {}))} ${sent.length} ${JSON.stringify(asked)}`).toBe(`${way} 200 2 [1]`);
				api.close();
			}
		});

		it(`${JSON.stringify(retry)}: a keyed POST is retried, as per call`, async () => {
			for (const way of ['call', 'next'] as const) {
				const { sent, fetch } = origin(503, (request) => `${request.method} ${request.headers.get('idempotency-key')}`);
				const api = createCore({ fetch, retry: { delay: () => 0 }, audit: giving(way === 'next' ? { retry } : undefined) });
				// Before, through next(): '503 ["POST k1"]' (ky's own methods: no POST).
				expect(`${way} ${await outcomeOf(api.post('https://api.test/a', { idempotencyKey: 'k1', ...(way === 'call' ? { retry } : {}) }))} ${JSON.stringify(sent)}`)
					.toBe(`${way} 200 ["POST k1","POST k1"]`);
				api.close();
			}
		});
	}

	it('an unkeyed POST is still not retried (the Idempotency-Key rule is kept)', async () => {
		const { sent, fetch } = origin(503);
		const api = createCore({ fetch, retry: { delay: () => 0 }, audit: giving({ retry: 2 }) });
		expect(`${await outcomeOf(api.post('https://api.test/a'))} ${sent.length}`).toBe('HTTP_5XX 1');
		api.close();
	});

	it('a `replaceOption()` mark replaces the client\'s rules (its statusCodes), keeping our shouldRetry (the unkeyed POST rule)', async () => {
		const extra = { retry: replaceOption({ limit: 1, delay: () => 0 }) };
		const reads = origin(503);
		const api = createCore({ fetch: reads.fetch, retry: { limit: 0, statusCodes: [418] }, audit: giving(extra) });
		expect(`${await outcomeOf(api.get('https://api.test/a'))} ${reads.sent.length}`).toBe('200 2');
		const writes = origin(503);
		const unkeyed = createCore({ fetch: writes.fetch, retry: { limit: 0, statusCodes: [418] }, audit: giving(extra) });
		expect(`${await outcomeOf(unkeyed.post('https://api.test/a'))} ${writes.sent.length}`).toBe('HTTP_5XX 1');
		const keyed = origin(503);
		const withKey = createCore({ fetch: keyed.fetch, retry: { limit: 0, statusCodes: [418] }, audit: giving(extra) });
		expect(`${await outcomeOf(withKey.post('https://api.test/a', { idempotencyKey: 'k' }))} ${keyed.sent.length}`).toBe('200 2');
		for (const client of [api, unkeyed, withKey]) {
			client.close();
		}
	});
});

describe('parseJson of a response a policy gave in the network\'s place: given the call\'s request, as ky gives its own', () => {
	const json = (async () => Response.json({ fresh: true })) as typeof globalThis.fetch;

	it('a wrapper\'s own Response, for a PUT with a header of its own: the call\'s request', async () => {
		const { seen, parseJson } = noting();
		const api = createCore({ fetch: json, audit: { slot: 'audit', create: () => ({ wrap: async (_call, next) => (await next(), Response.json({ mine: 1 })) }) } as Policy<'audit'> });
		const body = await api.put('https://api.test/x', { json: { a: 1 }, headers: { 'x-h': '1' }, parseJson }).json();
		// Before: ['GET https://api.test/x null'] (a request of a GET with no header, made to read the substitute).
		expect([body, seen]).toEqual([{ mine: 1 }, ['PUT https://api.test/x 1']]);
		api.close();
	});

	it('a fallback answering a failed DELETE: the call\'s request', async () => {
		const { seen, parseJson } = noting();
		const api = createCore({ fetch: (async () => new Response('down', { status: 503 })) as typeof globalThis.fetch, retry: 0, fallback: { kept: true } });
		const body = await api.delete('https://api.test/x/1', { headers: { 'x-h': '2' }, parseJson }).json();
		// Before: ['GET https://api.test/x/1 null'].
		expect([body, seen]).toEqual([{ kept: true }, ['DELETE https://api.test/x/1 2']]);
		api.close();
	});

	it('the client\'s parseJson, for a call a fallback answered: the call\'s request too', async () => {
		const { seen, parseJson } = noting();
		const api = createCore({ fetch: (async () => { throw new TypeError('fetch failed'); }) as typeof globalThis.fetch, retry: 0, parseJson, headers: { 'x-h': '3' }, fallback: { kept: true } });
		expect(await api.post('https://api.test/x', { json: {} }).json()).toEqual({ kept: true });
		expect(seen).toEqual(['POST https://api.test/x 3']);
		api.close();
	});

	it('a wrapper that answers before any attempt: a request of the call\'s method (no attempt was made)', async () => {
		const { seen, parseJson } = noting();
		const api = createCore({ fetch: json, audit: { slot: 'audit', create: () => ({ wrap: async () => Response.json({ early: 1 }) }) } as Policy<'audit'> });
		expect(await api.patch('https://api.test/x', { json: {}, parseJson }).json()).toEqual({ early: 1 });
		// Before: ['GET http://localhost/ null'].
		expect(seen.map((line) => line.split(' ')[0])).toEqual(['PATCH']);
		api.close();
	});

	it('a response of ky\'s own that a wrapper gave back: ky\'s own request, as before', async () => {
		const { seen, parseJson } = noting();
		const api = createCore({ fetch: json, audit: { slot: 'audit', create: () => ({ wrap: (_call, next) => next() }) } as Policy<'audit'> });
		expect(await api.put('https://api.test/x', { json: {}, headers: { 'x-h': '4' }, parseJson }).json()).toEqual({ fresh: true });
		expect(seen).toEqual(['PUT https://api.test/x 4']);
		api.close();
	});
});

describe('next({ fetch }): the run goes through the layers, as a call\'s own `fetch` does', () => {
	/** A policy whose layer notes each attempt it sees (and whether the call came with it). */
	const watching = (seen: string[]): Policy<'logs'> => ({
		slot: 'logs',
		create: (): PolicyParts => ({ layer: (next) => (request, init) => (seen.push(`layer ${init?.steadfetch ? 'call' : 'none'}`), next(request, init)) }),
	}) as Policy<'logs'>;

	for (const way of ['call', 'next'] as const) {
		it(`${way}: the layers see its attempts and stats() counts the call`, async () => {
			const seen: string[] = [];
			const other = (async () => (seen.push('other fetch'), new Response('other'))) as typeof globalThis.fetch;
			const api = createCore({
				fetch: (async () => new Response('client')) as typeof globalThis.fetch,
				audit: giving(way === 'next' ? { fetch: other } : undefined),
				logs: watching(seen),
			});
			const response = await api.get('https://api.test/a', way === 'call' ? { fetch: other } : {});
			// Before, through next(): 'other ["other fetch"] undefined' (past every layer, the call counted nowhere).
			expect(`${await response.text()} ${JSON.stringify(seen)} ${api.stats()['https://api.test']?.requests}`).toBe('other ["layer call","other fetch"] 1');
			api.close();
		});
	}

	it('next: an open breaker refuses the run\'s attempt without I/O, as it refuses the call\'s own', async () => {
		const { breaker } = await import('../../src/breaker/index.js');
		let sends = 0;
		const down = (async () => (sends++, new Response('down', { status: 503 }))) as typeof globalThis.fetch;
		const api = createCore({ fetch: down, retry: 0, breaker: breaker({ consecutiveFailures: 1 }), audit: giving({ fetch: down }) });
		const outcomes = [await outcomeOf(api.get('https://api.test/a')), await outcomeOf(api.get('https://api.test/a'))];
		// Before: ['HTTP_5XX', 'HTTP_5XX'] 2 (the breaker never saw the run's attempts).
		expect(`${JSON.stringify(outcomes)} ${sends}`).toBe('["HTTP_5XX","CIRCUIT_OPEN"] 1');
		api.close();
	});
});
