/**
 * Defect hunt, twentieth round (the open pipeline: app policies). What an app's policy hands the core
 * (an answer, a run's extra options, its view of a scope) is read as the contract types it, and what is
 * not such is the policy's fault, said so: the caller never gets the core's own sentinel, a wrapper's
 * `next()` rejects (never throws), and a policy's view never replaces the client's counters.
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient } from '../../src/entries/core.js';
import type { Layer, Policy, PolicyCall, PolicyContext, RunOptions } from '../../src/entries/policy.js';
import { unhandledDuring } from '../helpers/unhandled.js';

/** Settles with its status and body, or with its error's class, code and message (a non-Error as its type and value). */
const settled = (call: Promise<Response>): Promise<string> =>
	call.then(async (response) => `${response?.status} ${await response?.text()}`, (error: unknown) => (error instanceof Error ? `${error.constructor.name} ${classify(error).code} ${error.message}` : `${typeof error} ${String(error)}`));

/** A transport that answers 200 'net' and counts what it was sent (`sent()`). */
const counting = () => {
	let sent = 0;
	const fetch = (async () => {
		sent++;
		return new Response('net');
	}) as typeof globalThis.fetch;
	return { fetch, sent: () => sent };
};

describe('an app policy\'s layer answers with what answer() takes', () => {
	/** A layer that answers every attempt with `outcome` through `context.answer`; with `wrapped`, a wrapper applies to the call too. */
	const answering = (outcome: unknown, wrapped: boolean): Policy<'audit'> => ({
		slot: 'audit',
		create: (context: PolicyContext) => ({
			...(wrapped ? { wrap: (_call: PolicyCall, next: () => Promise<Response>) => next() } : {}),
			layer: ((_next) => (_request, init) => context.answer(init!.steadfetch!, outcome as Error)) as Layer,
		}),
	}) as unknown as Policy<'audit'>;

	it('nothing, null, a string or a plain object: the call rejects with a TypeError saying so (UNKNOWN), never the core\'s own marker nor a non-Error; nothing sent', async () => {
		for (const [outcome, shown] of [[undefined, 'undefined'], [null, 'null'], ['nope', '"nope"'], [{ status: 200 }, 'object']] as const) {
			for (const wrapped of [true, false]) {
				const { fetch, sent } = counting();
				const api = createClient({ fetch, retry: 0, audit: answering(outcome, wrapped) } as never);
				// Before, wrapped: 'object [object Object]' (the core's `answered` marker) for undefined, null and the object, 'string nope'
				// for the string; with no wrapper, the value itself ('undefined undefined', 'object null', 'string nope', 'object [object Object]').
				expect([outcome, wrapped, await settled(api.get('https://api.test/a'))]).toEqual([outcome, wrapped, `TypeError UNKNOWN answer() takes a Response or an Error; got ${shown}`]);
				expect(sent()).toBe(0);
				api.close();
			}
		}
	});

	it('a Response (with a wrapper) and an Error answer as before', async () => {
		const { fetch, sent } = counting();
		const stored = createClient({ fetch, retry: 0, audit: answering(new Response('stored'), true) } as never);
		expect(await settled(stored.get('https://api.test/a'))).toBe('200 stored');
		const held = createClient({ fetch, retry: 0, audit: answering(new RangeError('held'), false) } as never);
		expect(await settled(held.get('https://api.test/a'))).toBe('RangeError UNKNOWN held');
		expect(sent()).toBe(0);
	});
});

describe('an app policy\'s wrap: next(extra) rejects, never throws', () => {
	/** A wrapper that runs ky with `extra`, recovering from a rejection with 'recovered'; `how` says whether `next` threw or rejected. */
	const adding = (extra: RunOptions) => {
		const how: string[] = [];
		const policy = {
			slot: 'audit',
			create: () => ({
				wrap: (_call: PolicyCall, next: (extra?: RunOptions) => Promise<Response>) => {
					try {
						return next(extra).catch((error: Error) => {
							how.push(`rejected ${error.constructor.name} ${classify(error).code}`);
							return new Response('recovered');
						});
					} catch (error) {
						how.push(`threw ${(error as Error).constructor.name}`);
						throw error;
					}
				},
			}),
		} as unknown as Policy<'audit'>;
		return { policy, how };
	};

	it('headers Headers refuses (a string, a name with a space): a rejection the wrapper recovers from, nothing sent, nothing unhandled', async () => {
		for (const headers of ['x-audit: 1', { 'x audit': '1' }, [['x-audit']]]) {
			const { fetch, sent } = counting();
			const { policy, how } = adding({ headers } as RunOptions);
			const unhandled = await unhandledDuring(async () => {
				const api = createClient({ fetch, retry: 0, audit: policy } as never);
				// Before: ['threw TypeError'] and the call 'TypeError UNKNOWN Headers constructor: …': the wrapper's `.catch` never ran.
				expect([headers, await settled(api.get('https://api.test/a')), how]).toEqual([headers, '200 recovered', ['rejected InvalidRequestError INVALID_REQUEST']]);
				api.close();
			});
			expect([sent(), unhandled]).toEqual([0, []]);
		}
	});

	it('a wrapper that does not catch it fails its call with that InvalidRequestError, before any I/O', async () => {
		const { fetch, sent } = counting();
		const policy = { slot: 'audit', create: () => ({ wrap: (_call: PolicyCall, next: (extra?: RunOptions) => Promise<Response>) => next({ headers: 'x-audit: 1' } as never) }) } as unknown as Policy<'audit'>;
		const api = createClient({ fetch, retry: 0, audit: policy } as never);
		expect(await settled(api.get('https://api.test/a'))).toMatch(/^InvalidRequestError INVALID_REQUEST Invalid request: /);
		expect(sent()).toBe(0);
	});

	it('headers it may send are sent with the call\'s, as before', async () => {
		const seen: string[] = [];
		const fetch = (async (request: Request) => {
			seen.push(`${request.headers.get('x-audit')} ${request.headers.get('x-call')}`);
			return new Response('net');
		}) as typeof globalThis.fetch;
		const { policy, how } = adding({ headers: { 'x-audit': '1' } });
		const api = createClient({ fetch, retry: 0, audit: policy } as never);
		expect(await settled(api.get('https://api.test/a', { headers: { 'x-call': '2' } }))).toBe('200 net');
		expect([seen, how]).toEqual([['1 2'], []]);
	});
});

describe('an app policy\'s stats() view never replaces the client\'s counters', () => {
	it('a view naming requests, successes or failures adds its other fields; the counters are the core\'s', async () => {
		const fetch = (async (request: Request) => new Response('x', { status: request.url.endsWith('/down') ? 503 : 200 })) as typeof globalThis.fetch;
		const policy = {
			slot: 'audit',
			create: () => ({ stats: () => ({ requests: 'mine', successes: undefined, failures: 7, audited: 2 }) }),
		} as unknown as Policy<'audit'>;
		const api = createClient({ fetch, retry: 0, audit: policy } as never);
		await api.get('https://api.test/a');
		await api.get('https://api.test/down').catch(() => undefined);
		const row = api.stats()['https://api.test'] as unknown as Record<string, unknown>;
		// Before: { requests: 'mine', successes: undefined, failures: 7, … }.
		expect([row['requests'], row['successes'], row['failures'], row['audited']]).toEqual([2, 1, { HTTP_5XX: 1 }, 2]);
		// A copy each time: the caller's change of one is not the client's.
		(row['failures'] as Record<string, number>)['HTTP_5XX'] = 99;
		expect(api.stats()['https://api.test']!.failures).toEqual({ HTTP_5XX: 1 });
	});
});
