/**
 * Defect hunt, eighteenth round (the pipeline: one owner per call), second pass. A part the core calls
 * synchronously for a verdict answers at once, as the breaker's `scope`, `isFailure` and `probe` must
 * (test/unit/breaker-answers-at-once.test.ts): a promise is truthy, so an `async appliesTo` made a wrapper
 * apply to every call. Where the part has no default verdict the call fails with a TypeError naming the slot,
 * before any I/O; its rejection is never left unhandled.
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient } from '../../src/entries/core.js';
import type { Policy, PolicyCall } from '../../src/entries/policy.js';
import { unhandledDuring } from '../helpers/unhandled.js';

/** Settles with its status and body, or with its error's class, code and message. */
const settled = (call: Promise<Response>): Promise<string> =>
	call.then(async (response) => `${response?.status} ${await response?.text()}`, (error: Error) => `${error?.constructor?.name} ${classify(error).code} ${error?.message}`);

/** A transport that answers 200 and counts what it was sent (`sent()`). */
const counting = () => {
	let sent = 0;
	const fetch = (async () => {
		sent++;
		return new Response('net');
	}) as typeof globalThis.fetch;
	return { fetch, sent: () => sent };
};

/** An app's policy whose wrapper answers 'wrapped' for the calls its `appliesTo` picks (counted in `wrapped()`). */
const picky = (appliesTo: (call: PolicyCall) => unknown) => {
	let wrapped = 0;
	const policy = {
		slot: 'picky',
		create: () => ({
			appliesTo,
			wrap: async () => {
				wrapped++;
				return new Response('wrapped');
			},
		}),
	} as unknown as Policy<'picky'>;
	return { policy, wrapped: () => wrapped };
};

describe('an app policy\'s appliesTo answers at once', () => {
	it('one that gives back a promise (async, or a plain function) fails each call with a TypeError naming the slot, nothing sent, no rejection unhandled', async () => {
		const answers: Array<[string, (call: PolicyCall) => unknown]> = [
			['async false', async () => false],
			['promise of false', () => Promise.resolve(false)],
			['rejected', () => Promise.reject(new Error('async after all'))],
			['async true', async () => true],
		];
		for (const [name, appliesTo] of answers) {
			const { fetch, sent } = counting();
			const { policy, wrapped } = picky(appliesTo);
			const unhandled = await unhandledDuring(async () => {
				const api = createClient({ fetch, retry: 0, picky: policy } as never);
				// Before: '200 wrapped' for every one: a promise is truthy, so the wrapper applied to every call.
				expect([name, await settled(api.get('https://api.test/a'))]).toEqual([name, 'TypeError UNKNOWN The `picky` policy\'s appliesTo returned a promise']);
				expect([name, await settled(api.post('https://api.test/b', { json: {} }))]).toEqual([name, expect.stringMatching(/^TypeError UNKNOWN The `picky` policy's appliesTo/)]);
				api.close();
			});
			expect([name, sent(), wrapped(), unhandled]).toEqual([name, 0, 0, []]);
		}
	});

	it('per call { [slot]: false } still turns the policy off without asking it', async () => {
		const { fetch, sent } = counting();
		const { policy } = picky(async () => false);
		const api = createClient({ fetch, retry: 0, picky: policy } as never);
		expect(await settled(api.get('https://api.test/a', { picky: false } as never))).toBe('200 net');
		expect(sent()).toBe(1);
		api.close();
	});

	it('true, false and a falsy answer (undefined, null, 0, \'\') decide as before', async () => {
		const { fetch } = counting();
		for (const [answer, expected] of [[true, '200 wrapped'], [false, '200 net'], [undefined, '200 net'], [null, '200 net'], [0, '200 net'], ['', '200 net'], [1, '200 wrapped']] as const) {
			const { policy } = picky(() => answer);
			const api = createClient({ fetch, retry: 0, picky: policy } as never);
			expect([answer, await settled(api.get('https://api.test/a'))]).toEqual([answer, expected]);
			api.close();
		}
	});

	it('one that throws fails that call only, as before', async () => {
		const { fetch, sent } = counting();
		let calls = 0;
		const { policy } = picky(() => {
			if (++calls === 1) {
				throw new Error('picky broke');
			}

			return false;
		});
		const api = createClient({ fetch, retry: 0, picky: policy } as never);
		expect(await settled(api.get('https://api.test/a'))).toBe('Error UNKNOWN picky broke');
		expect(await settled(api.get('https://api.test/a'))).toBe('200 net');
		expect(sent()).toBe(1);
		api.close();
	});
});

/** An app's policy with only the parts `parts` gives it. */
const partsOnly = (parts: Record<string, unknown>): Policy<'odd'> => ({ slot: 'odd', create: () => parts }) as unknown as Policy<'odd'>;

describe('an app policy\'s substituted and holds answer at once: one that throws or gives back a promise gives the default verdict', () => {
	it('an async substituted leaves a failure a failure: counted, answered by `fallback`, no stray counter, no rejection unhandled', async () => {
		for (const substituted of [async () => 'stale', () => Promise.reject(new Error('async after all'))]) {
			const unhandled = await unhandledDuring(async () => {
				const api = createClient({ fetch: async () => new Response('down', { status: 503 }), retry: 0, odd: partsOnly({ substituted }) } as never);
				// Before: the HTTPError (a promise is truthy: the failure was the policy's answer, so `fallback` never answered it).
				expect(await settled(api.get('https://api.test/a', { fallback: { shown: 'fallback' } }))).toBe('200 {"shown":"fallback"}');
				expect(await settled(api.get('https://api.test/a'))).toMatch(/^HTTPError HTTP_5XX /);
				expect(await settled(api.get('https://api.test/ok', { fetch: async () => new Response('up') } as never))).toBe('200 up');
				// Before: failures {} and a counter '[object Promise]' of NaN (a fallback's answer counts as the failure it stands for).
				expect(api.stats()['https://api.test']).toEqual({ requests: 3, successes: 1, stale: 0, queued: 0, failures: { HTTP_5XX: 2 }, retries: 0, retriesRefused: 0, fallbacks: 1 });
				api.close();
			});
			expect(unhandled).toEqual([]);
		}
	});

	it('a substituted that answers at once still counts its own answers', async () => {
		const api = createClient({ fetch: async () => new Response('copy'), retry: 0, odd: partsOnly({ substituted: (outcome: unknown) => (outcome instanceof Response ? 'stale' : undefined) }) } as never);
		// ky's own response is never a substitute; one a wrapper made in its place is.
		expect(await settled(api.get('https://api.test/a'))).toBe('200 copy');
		expect(api.stats()['https://api.test']?.stale).toBe(0);
		api.close();
	});

	it('a holds that throws for one scope fails no call once the client has met a thousand scopes (before: every call to a new scope failed with its error)', async () => {
		const unhandled = await unhandledDuring(async () => {
			const holds = (scope: string): boolean => {
				if (scope === 'https://s7.test') {
					throw new Error('holds broke');
				}

				return false;
			};
			const api = createClient({ fetch: async () => new Response('ok'), retry: 0, retryBudget: false, odd: partsOnly({ holds }) } as never);
			const failed: string[] = [];
			for (let index = 0; index < 1_100; index++) {
				const outcome = await settled(api.get(`https://s${index}.test/a`));
				if (outcome !== '200 ok') {
					failed.push(`${index} ${outcome}`);
				}
			}

			// Before: 100 failed, from the 1,000th scope on ('1000 Error UNKNOWN holds broke', …).
			expect(failed).toEqual([]);
			expect(Object.keys(api.stats()).length).toBeLessThanOrEqual(1_000);
			api.close();
		});
		expect(unhandled).toEqual([]); // before: 100 'holds broke'
	});

	it('an async holds keeps no scope: idle scopes are forgotten past a thousand, as without it', async () => {
		for (const holds of [async () => true, () => Promise.reject(new Error('async after all'))]) {
			const unhandled = await unhandledDuring(async () => {
				const api = createClient({ fetch: async () => new Response('ok'), retry: 0, retryBudget: false, odd: partsOnly({ holds }) } as never);
				for (let index = 0; index < 2_100; index++) {
					await api.get(`https://s${index}.test/a`);
				}

				// Before: 2,100 (a promise is truthy: every scope held for good).
				expect(Object.keys(api.stats()).length).toBeLessThanOrEqual(1_000);
				api.close();
			});
			expect(unhandled).toEqual([]);
		}
	});

	it('a holds that answers true at once still keeps its scope', async () => {
		const api = createClient({ fetch: async () => new Response('ok'), retry: 0, retryBudget: false, odd: partsOnly({ holds: (scope: string) => scope === 'https://s0.test' }) } as never);
		for (let index = 0; index < 2_100; index++) {
			await api.get(`https://s${index}.test/a`);
		}

		expect(api.stats()['https://s0.test']?.requests).toBe(1);
		api.close();
	});
});

describe('an app policy\'s scopeOf answers at once', () => {
	it('one that gives back a promise fails each call with a TypeError naming the slot, nothing sent, no scope made, no rejection unhandled', async () => {
		for (const scopeOf of [async (url: string) => new URL(url).host, (url: string) => Promise.resolve(new URL(url).host), () => Promise.reject(new Error('async after all'))]) {
			const { fetch, sent } = counting();
			const events: string[] = [];
			const unhandled = await unhandledDuring(async () => {
				// Default retries: the policy's fault is not retried.
				const api = createClient({ fetch, odd: partsOnly({ scopeOf }) } as never);
				api.on('*' as never, (event: { type: string; scope: string }) => void events.push(`${event.type} ${event.scope}`));
				for (const call of [() => api.get('https://a.test/x'), () => api.post('https://b.test/y', { json: {} })]) {
					// Before: '200 net' for both, every URL in one scope, '[object Promise]' (stats(), events, the breaker's state).
					expect(await settled(call())).toBe('TypeError UNKNOWN The `odd` policy\'s scopeOf returned a promise');
				}

				expect(api.stats()).toEqual({});
				api.close();
			});
			expect([sent(), events, unhandled]).toEqual([0, [], []]);
		}
	});

	it('a string or a number (its own scope) is taken, as before', async () => {
		const { fetch } = counting();
		const api = createClient({ fetch, retry: 0, odd: partsOnly({ scopeOf: (url: string) => new URL(url).pathname.length }) } as never);
		expect(await settled(api.get('https://a.test/abc'))).toBe('200 net');
		expect(Object.keys(api.stats())).toEqual(['4']);
		api.close();
	});
});
