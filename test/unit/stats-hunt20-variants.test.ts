/**
 * Defect hunt, twentieth round: events and stats agree, exactly once (API.md "Events", `stats()`). Each
 * call that reached the per-attempt layers counts once in `requests` and ends in exactly one outcome:
 * `successes` (stale answers and a `202` for a queued write among them), or `queued`, or one failure by
 * its code.
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient } from '../../src/entries/core.js';
import type { Policy } from '../../src/entries/policy.js';
import { unhandledDuring } from '../helpers/unhandled.js';

/** Settles with its status and body, or with its error's class and code. */
const settled = (call: Promise<Response>): Promise<string> =>
	call.then(async (response) => `${response.status} ${await response.text()}`, (error: Error) => `${error?.constructor?.name} ${classify(error).code}`);

/** An app's policy with only the parts `parts` gives it. */
const partsOnly = (parts: Record<string, unknown>): Policy<'odd'> => ({ slot: 'odd', create: () => parts }) as unknown as Policy<'odd'>;

/** An app's policy whose wrapper sends the call, then answers it with its own Response (not ky's); its `substituted` says `verdict` of every outcome. */
const answering = (verdict: unknown): Policy<'odd'> => partsOnly({
	wrap: async (_call: unknown, next: () => Promise<Response>) => {
		await (await next()).text();
		return new Response('mine');
	},
	substituted: () => verdict,
});

describe('an app policy\'s substituted names the counter a substitute counts in: stale or queued, nothing else', () => {
	it('a verdict that is no outcome counter (true, \'failures\', a typo, \'requests\', \'successes\', \'fallbacks\') leaves a failure a failure: counted once, answered by `fallback`, no stray counter', async () => {
		for (const verdict of [true, 1, 'failures', 'Stale', 'requests', 'successes', 'retries', 'fallbacks', 'toString']) {
			const unhandled = await unhandledDuring(async () => {
				const api = createClient({ fetch: async () => new Response('down', { status: 503 }), retry: 0, odd: partsOnly({ substituted: () => verdict }) } as never);
				// Before (true): the HTTPError (the failure was the policy's answer, so `fallback` never answered it).
				expect([verdict, await settled(api.get('https://api.test/a', { fallback: 'fallback' }))]).toEqual([verdict, '200 "fallback"']);
				expect([verdict, await settled(api.get('https://api.test/a'))]).toEqual([verdict, 'HTTPError HTTP_5XX']);
				expect([verdict, await settled(api.get('https://api.test/ok', { fetch: async () => new Response('up') } as never))]).toEqual([verdict, '200 up']);
				// Before (true): failures {} and a counter 'true' of NaN; ('failures'): failures NaN; ('requests'): requests 5, no failure.
				expect([verdict, api.stats()['https://api.test']]).toEqual([verdict, { requests: 3, successes: 1, stale: 0, queued: 0, failures: { HTTP_5XX: 2 }, retries: 0, retriesRefused: 0, fallbacks: 1 }]);
				api.close();
			});
			expect(unhandled).toEqual([]);
		}
	});

	it('a Response a wrapper made counts once as a success, whatever else its substituted says of it; \'stale\' and \'queued\' still count it apart', async () => {
		const counted: unknown[] = [];
		for (const verdict of [true, 'successes', 'requests', 'fallbacks', 'stale', 'queued']) {
			const api = createClient({ fetch: async () => new Response('net'), retry: 0, odd: answering(verdict) } as never);
			expect(await settled(api.get('https://api.test/a'))).toBe('200 mine');
			counted.push([verdict, api.stats()['https://api.test']]);
			api.close();
		}

		const row = (stale: number, queued: number) => ({ requests: 1, successes: 1, stale, queued, failures: {}, retries: 0, retriesRefused: 0, fallbacks: 0 });
		// Before: true gave a counter 'true' of NaN; 'successes' 2 successes; 'requests' 2 requests; 'fallbacks' 1 fallback, for one call the network answered.
		expect(counted).toEqual([[true, row(0, 0)], ['successes', row(0, 0)], ['requests', row(0, 0)], ['fallbacks', row(0, 0)], ['stale', row(1, 0)], ['queued', row(0, 1)]]);
	});
});
