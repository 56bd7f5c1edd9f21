/**
 * The breaker's functions answer at once: an `async` `probe` failed every probe (its promise is no Request), an `async` `scope` made every URL one scope (`'[object Promise]'`), an
 * `async` `isFailure` made every answer a failure (a promise is truthy: a healthy origin's breaker opened after
 * `consecutiveFailures` 200s) and, rejecting, an unhandled rejection (which ends a Node process).
 */
import { describe, expect, it } from 'vitest';
import { breaker } from '../../src/entries/breaker.js';
import { createClient as core } from '../../src/entries/core.js';
import { createClient } from '../../src/entries/index.js';
import { unhandledDuring } from '../helpers/unhandled.js';

const ok = (async () => new Response('ok')) as typeof fetch;

/** A transport that answers 200 and counts what it was sent (`sent()`). */
const counting = () => {
	let sent = 0;
	const fetch = (async () => {
		sent++;
		return new Response('ok');
	}) as typeof globalThis.fetch;
	return { fetch, sent: () => sent };
};

describe('breaker: scope and isFailure answer at once', () => {
	it('an async scope or isFailure is a RangeError naming the option, from breaker() and from the preset\'s createClient', () => {
		expect(() => breaker({ scope: (async (url: string) => new URL(url).host) as never })).toThrow(/breaker\.scope.*not async/);
		expect(() => breaker({ isFailure: (async () => false) as never })).toThrow(/breaker\.isFailure.*not async/);
		expect(() => createClient({ breaker: { isFailure: (async () => undefined) as never } })).toThrow(RangeError);
		// The probe's function too: an async one's promise is no Request (every probe failed, the breaker never closed by one).
		expect(() => breaker({ probe: (async (scope: string) => new Request(`${scope}/health`)) as never })).toThrow(/breaker\.probe.*not async/);
		// Functions that answer at once are taken, as before.
		expect(() => breaker({ scope: (url) => new URL(url).host, isFailure: () => undefined, probe: (scope) => new Request(`https://${scope}/health`) })).not.toThrow();
	});

	it('isFailure that gives back a promise leaves each attempt to the default rule: 200s never open the breaker, a rejection is handled', async () => {
		const { fetch, sent } = counting();
		const unhandled = await unhandledDuring(async () => {
			const api = core({ fetch, retry: 0, breaker: breaker({ consecutiveFailures: 2, isFailure: () => Promise.reject(new Error('async after all')) as never }) });
			for (let index = 0; index < 4; index++) {
				expect((await api.get('https://api.test/x')).status).toBe(200); // before: CircuitOpenError from the third call
			}

			expect(api.breaker('https://api.test/x').state).toBe('closed');
			api.close();
		});
		expect(sent()).toBe(4);
		expect(unhandled).toEqual([]); // before: one 'async after all' per attempt
	});

	it('isFailure answering true or false still decides, as before', async () => {
		const api = core({ fetch: ok, retry: 0, breaker: breaker({ consecutiveFailures: 2, isFailure: () => true }) });
		await api.get('https://api.test/y');
		await api.get('https://api.test/y');
		expect(api.breaker('https://api.test/y').state).toBe('open');
		api.close();
	});
});

describe('breaker: a scope function that gives back an object (a promise) fails each call, before any I/O', () => {
	it('not async, yet returning a promise: every call and breaker.reset reject with a RangeError naming breaker.scope, nothing is sent, no scope is made', async () => {
		const { fetch, sent } = counting();
		const unhandled = await unhandledDuring(async () => {
			const api = core({ fetch, retry: 0, breaker: breaker({ scope: ((url: string) => Promise.resolve(new URL(url).host)) as never }) });
			for (const call of [() => api.get('https://a.test/x'), () => api.post('https://b.test/y', { json: {} }), () => api.breaker.reset('https://a.test/x')]) {
				// Before: every URL in one scope, '[object Promise]' (a.test's failures opened b.test's breaker too).
				await expect(call()).rejects.toThrow(/^breaker\.scope must return a string at once/);
			}

			expect(api.stats()).toEqual({});
			api.close();
		});
		expect([sent(), unhandled]).toEqual([0, []]);
	});

	it('a string, or a number (its own scope, as before), is taken', async () => {
		const api = core({ fetch: ok, retry: 0, breaker: breaker({ scope: ((url: string) => new URL(url).pathname.length) as never }) });
		expect((await api.get('https://a.test/abc')).status).toBe(200);
		expect(Object.keys(api.stats())).toEqual(['4']);
		api.close();
		const named = core({ fetch: ok, retry: 0, breaker: breaker({ scope: (url) => new URL(url).host }) });
		expect((await named.get('https://a.test/abc')).status).toBe(200);
		expect(Object.keys(named.stats())).toEqual(['a.test']);
		named.close();
	});
});
