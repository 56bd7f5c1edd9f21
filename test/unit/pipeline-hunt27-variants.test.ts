/**
 * Defect hunt, twenty-seventh round (the pipeline: layers and wrappers, the call's state, retry events, the rate limiter's
 * queue, the policies that watch outcomes). Neighbours of the known defect classes: two runs of one call at once sharing
 * what is one run's own, a waiter that leaves keeping its place, a watcher told of a call with no scope.
 */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import type { Policy, PolicyContext, PolicyParts } from '../../src/entries/policy.js';
import { until } from './outbox-helpers.js';

/** An app's policy for `slot` whose create() gives `parts` (made with the context when a function). */
const mine = (slot: string, parts: PolicyParts | ((context: PolicyContext) => PolicyParts) = {}): Policy => ({
	slot,
	create: (context: PolicyContext) => (typeof parts === 'function' ? parts(context) : parts),
});

/** A wrapper that runs ky twice at once, each run marked by its `x-run` header ('a', 'b'), and gives back run a's outcome. */
const twice = mine('audit', { wrap: async (_call, next) => {
	const [a] = await Promise.allSettled([next({ headers: { 'x-run': 'a' } }), next({ headers: { 'x-run': 'b' } })]);
	return a.status === 'fulfilled' ? a.value : Promise.reject(a.reason);
} });

/**
 * A transport whose first attempt of each run waits until both runs' first attempts came (`held`), then fails as `first`
 * says for that run; every later attempt answers 200 with the run's name.
 */
const heldRuns = (first: Record<string, () => Response>) => {
	const held: Array<() => void> = [];
	const counts: Record<string, number> = {};
	const fetch = (async (request: Request) => {
		const run = request.headers.get('x-run') ?? '';
		counts[run] = (counts[run] ?? 0) + 1;
		if (counts[run] === 1) {
			await new Promise<void>((resolve) => {
				held.push(resolve);
			});
			return first[run]!();
		}

		return new Response(run);
	}) as typeof globalThis.fetch;
	return { fetch, held, counts };
};

describe('two runs of one call at once: each run\'s retry is told with its own failure', () => {
	it('run a fails on the network, run b is answered 503: the retry events say NETWORK and HTTP_5XX', async () => {
		const { fetch, held } = heldRuns({
			a: () => {
				throw new TypeError('fetch failed');
			},
			b: () => new Response('busy', { status: 503 }),
		});
		const api = createClient({ fetch, retry: { limit: 1, delay: () => 0 }, audit: twice } as never);
		const codes: string[] = [];
		api.on('retry', (event) => codes.push(event.code));
		const call = api.get('https://a.test/x').text();
		await until(() => held.length === 2);
		for (const release of held) {
			release();
		}

		expect(await call).toBe('a');
		// Before: ['HTTP_5XX', 'UNKNOWN'] (run a's retry told with run b's 503, run b's as one forced with ky.retry()).
		expect(codes.sort()).toEqual(['HTTP_5XX', 'NETWORK']);
		api.close();
	});

});

describe('a wrapper that runs ky twice at once and gives back one run\'s response: the body shortcuts read that response', () => {
	/** A wrapper that runs ky twice at once (runs a and b) and gives back run a's response, run a answered once run b resolved. */
	const aAfterB = () => {
		let resolvedB!: () => void;
		const b = new Promise<void>((resolve) => {
			resolvedB = resolve;
		});
		const fetch = (async (request: Request) => {
			const run = request.headers.get('x-run')!;
			if (run === 'a') {
				await b;
			}

			return Response.json({ run });
		}) as typeof globalThis.fetch;
		const audit = mine('audit', { wrap: (_call, next) => {
			const a = next({ headers: { 'x-run': 'a' } });
			void next({ headers: { 'x-run': 'b' } }).then(resolvedB);
			return a;
		} });
		return { fetch, audit };
	};

	for (const [shortcut, read, a] of [
		['text', (call: { text(): Promise<unknown> }) => call.text(), '{"run":"a"}'],
		['json', (call: { json(): Promise<unknown> }) => call.json(), { run: 'a' }],
	] as const) {
		it(`.${shortcut}() gives run a's body, run b answered first`, async () => {
			const api = createClient({ retry: 0, ...aAfterB() } as never);
			// Before: run b's body ('{"run":"b"}'): the shortcut was started with the latest run only, and read as the call's.
			expect(await read(api.get('https://a.test/x') as never)).toEqual(a);
			api.close();
		});
	}
});
