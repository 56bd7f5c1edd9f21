/**
 * Defect hunt, thirty-second round (the pipeline: identity and clears across the parts, one owner per call).
 * Neighbours of the known defect class: what a retry paid, given back as its attempt ended before it went out, when the
 * request it made went out after all (a request dedupe shares goes on for the callers still waiting on it).
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient } from '../../src/entries/core.js';
import { dedupe } from '../../src/entries/dedupe.js';
import type { Policy } from '../../src/entries/policy.js';
import { until } from '../helpers/wait-for.js';

const code = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'OK', (error: unknown) => classify(error).code);

describe('a shared retry that goes out once the caller that made it has left is paid and counted (dedupe, the retry budget)', () => {
	it('the retry of the caller that left is counted in stats().retries and spends the retry budget as it goes out', async () => {
		const sent: string[] = [];
		// An app's layer below dedupe holds the second attempt to /x (the first caller's retry, shared) until the test lets it go.
		let release!: () => void;
		const released = new Promise<void>((resolve) => {
			release = resolve;
		});
		let seen = 0;
		const hold: Policy = {
			slot: 'hold', at: { layer: 500 },
			create: () => ({
				layer: (next) => async (request, init) => {
					if (new URL(request.url).pathname === '/x' && ++seen === 2) {
						await released;
					}

					return next(request, init);
				},
			}),
		};
		const api = createClient({
			retry: { limit: 1, delay: () => 0 }, retryBudget: { ratio: 0, minRetries: 2 }, dedupe: dedupe(), hold,
			fetch: (async (request: Request) => {
				const { pathname } = new URL(request.url);
				sent.push(pathname);
				// Each path fails once (503), then answers.
				return new Response(pathname, { status: sent.filter((one) => one === pathname).length === 1 ? 503 : 200 });
			}) as typeof globalThis.fetch,
		} as never);
		const leaves = new AbortController();
		// A's first attempt goes out, B's joins it; both get the 503. A retries at once: its retry is held below dedupe, and B's
		// (20 ms later) joins it. Then A leaves (its caller aborts): the held retry goes on for B, and goes out.
		const a = code(api.get('https://api.test/x', { signal: leaves.signal }));
		const b = code(api.get('https://api.test/x', { retry: { limit: 1, delay: () => 20 } }));
		await until(() => (api.stats()['https://api.test']?.['dedupe'] as { shared: number } | undefined)?.shared === 2);
		leaves.abort();
		expect(await a).toBe('ABORTED');
		release();
		expect(await b).toBe('OK');
		expect(sent).toEqual(['/x', '/x']);
		// One retry went out. Before: 0 (A's payment given back as its attempt ended, B's as its own never went out).
		expect(api.stats()['https://api.test']!.retries).toBe(1);
		// The window's two retries: the shared one, and one more (the next call's); a third is refused.
		// Before: ['OK', 'OK'] (the shared retry spent nothing).
		expect([await code(api.get('https://api.test/y', { hold: false } as never)), await code(api.get('https://api.test/w', { hold: false } as never))]).toEqual(['OK', 'HTTP_5XX']);
		api.close();
	});
});
