/**
 * Defect hunt, twenty-eighth round (the pipeline: layers and wrappers, the call's state, the rate limiter's queue).
 * Neighbours of the known defect class: state of one run leaks into another run of the same call (two runs of ky at
 * once), or a waiter's place in the rate limiter's queue taken or kept wrongly.
 */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import type { Policy, PolicyContext, PolicyParts } from '../../src/entries/policy.js';

/** An app's policy for `slot` whose create() gives `parts` (made with the context when a function). */
const mine = (slot: string, parts: PolicyParts | ((context: PolicyContext) => PolicyParts) = {}): Policy => ({
	slot,
	create: (context: PolicyContext) => (typeof parts === 'function' ? parts(context) : parts),
});

/** A transport that answers 200 'net' and notes each request's URL (`seen`). */
const noting = () => {
	const seen: string[] = [];
	const fetch = (async (request: Request) => {
		seen.push(request.url);
		return new Response('net');
	}) as typeof globalThis.fetch;
	return { fetch, seen };
};

/** A wrapper that runs ky twice at once (pages 1 and 2, by `x-page`) and resolves with both bodies. */
const both = mine('both', { wrap: async (_call, next) => {
	const [one, two] = await Promise.allSettled([next({ headers: { 'x-page': '1' } }), next({ headers: { 'x-page': '2' } })]);
	const read = async (run: PromiseSettledResult<Response>) => (run.status === 'fulfilled' ? run.value.text() : `rejected ${(run.reason as Error).message}`);
	return new Response(`${await read(one)} + ${await read(two)}`);
} });

describe('two runs of one call at once, each answered by a layer later (not at once): each run gets its own answer', () => {
	/**
	 * A layer that answers each attempt without I/O, after `hold(page)` resolved (a store read), with what `outcome` makes
	 * of its page.
	 */
	const later = (hold: (page: string) => Promise<unknown>, outcome: (page: string) => Response | Error) => mine('pages', (context) => ({
		layer: () => async (request, init) => {
			const page = request.headers.get('x-page')!;
			await hold(page);
			return context.answer(init!.steadfetch!, outcome(page));
		},
	}));

	it('both answered a task later: page 1 + page 2', async () => {
		const { fetch, seen } = noting();
		const pages = later(() => new Promise((resolve) => setTimeout(resolve)), (page) => new Response(`page ${page}`));
		const api = createClient({ fetch, retry: 0, pages, both } as never);
		// Before: TypeError 'Body is unusable: Body has already been read' (run 2 given run 1's answer: one Response for both).
		expect(await api.get('https://a.test/list').text()).toBe('page 1 + page 2');
		expect(seen).toEqual([]);
		api.close();
	});

	it('page 2 answered first: page 1 + page 2', async () => {
		const { fetch } = noting();
		let second!: () => void;
		const answered2 = new Promise<void>((resolve) => {
			second = resolve;
		});
		const pages = later(async (page) => (page === '1' ? answered2.then(() => new Promise((resolve) => setTimeout(resolve))) : second()), (page) => new Response(`page ${page}`));
		const api = createClient({ fetch, retry: 0, pages, both } as never);
		expect(await api.get('https://a.test/list').text()).toBe('page 1 + page 2');
		api.close();
	});

	it('an error for run 1 and a Response for run 2, both a task later: each run settles with its own', async () => {
		const { fetch } = noting();
		const pages = later(() => new Promise((resolve) => setTimeout(resolve)), (page) => (page === '1' ? new Error('refused here') : new Response('fine')));
		const api = createClient({ fetch, retry: 0, pages, both } as never);
		// Before: 'rejected refused here + rejected refused here' (run 2 rejected with run 1's error).
		expect(await api.get('https://a.test/x').text()).toBe('rejected refused here + fine');
		api.close();
	});
});
