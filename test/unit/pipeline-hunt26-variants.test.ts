/**
 * Defect hunt, twenty-sixth round (the open pipeline: wrappers, slots, the call's one owner). Neighbours of the known
 * defect class: a wrapper that starts ky (calls next) and then fails the call before its first attempt sent a request
 * that stats() never counted.
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

/** A transport that answers 200 'net' and notes each request's method and URL (`seen`); `settled` counts the answers given. */
const noting = () => {
	const seen: string[] = [];
	const fetch = (async (request: Request) => {
		seen.push(`${request.method} ${request.url}`);
		return new Response('net');
	}) as typeof globalThis.fetch;
	return { fetch, seen };
};

/** A scope's counters, without the zeros. */
const counted = (stats: Record<string, object>, scope: string): Record<string, unknown> =>
	Object.fromEntries(Object.entries(stats[scope] ?? {}).filter(([, value]) => value !== 0 && !(typeof value === 'object' && Object.keys(value as object).length === 0)));

describe('a wrapper that starts ky and then fails the call: its request is counted with the call\'s outcome', () => {
	it('throws at once after next(): requests 1 and its failure in the scope, nothing left in flight', async () => {
		const { fetch, seen } = noting();
		let ran: Promise<unknown> | undefined;
		const starter = mine('audit', { wrap: (_call, next) => {
			ran = next().catch(() => undefined);
			throw new Error('audit broke');
		} });
		const api = createClient({ fetch, retry: 0, audit: starter } as never);
		await expect(api.get('https://a.test/x')).rejects.toThrow('audit broke');
		await until(() => seen.length === 1);
		await ran;
		// Before: {} (the request went out, nothing counted in its scope).
		expect(counted(api.stats(), 'https://a.test')).toEqual({ requests: 1, failures: { UNKNOWN: 1 } });
		api.close();
	});

	it('an async wrapper that rejects after next(): the same', async () => {
		const { fetch, seen } = noting();
		const starter = mine('audit', { wrap: async (_call, next) => {
			void next().catch(() => undefined);
			throw new Error('audit broke');
		} });
		const api = createClient({ fetch, retry: 0, audit: starter } as never);
		await expect(api.get('https://a.test/x')).rejects.toThrow('audit broke');
		await until(() => seen.length === 1);
		// Before: {} (the request went out, nothing counted in its scope).
		expect(counted(api.stats(), 'https://a.test')).toEqual({ requests: 1, failures: { UNKNOWN: 1 } });
		api.close();
	});

	it('with `fallback`: the call answered by it is counted in `fallbacks` too, also when its request goes out after the answer', async () => {
		const { fetch, seen } = noting();
		let open!: () => void;
		const gate = new Promise<void>((resolve) => {
			open = resolve;
		});
		const starter = mine('audit', { wrap: (_call, next) => {
			void next().catch(() => undefined);
			throw new Error('audit broke');
		} });
		// A `beforeRequest` hook that waits: the first attempt comes after the fallback answered.
		const api = createClient({ fetch, retry: 0, fallback: { shown: true }, hooks: { beforeRequest: [() => gate] }, audit: starter } as never);
		expect(await api.get('https://a.test/x').json()).toEqual({ shown: true });
		open();
		await until(() => seen.length === 1);
		// Before: { requests: 1, failures: { UNKNOWN: 1 } } (fallbacks 0: the call had no scope as the fallback answered).
		expect(counted(api.stats(), 'https://a.test')).toEqual({ requests: 1, failures: { UNKNOWN: 1 }, fallbacks: 1 });
		api.close();
	});

	it('answers at once and runs ky later (after the call settled): the call counted with its answer as that request goes out', async () => {
		const { fetch, seen } = noting();
		const later = mine('audit', { wrap: (_call, next) => {
			setTimeout(() => void next().catch(() => undefined));
			return Promise.resolve(new Response('copy'));
		} });
		const api = createClient({ fetch, retry: 0, audit: later } as never);
		expect(await api.get('https://a.test/x').text()).toBe('copy');
		await until(() => seen.length === 1);
		// Before: {} (the request went out, nothing counted in its scope).
		expect(counted(api.stats(), 'https://a.test')).toEqual({ requests: 1, successes: 1 });
		api.close();
	});

	it('answers at once and lets its run go on (stale-while-revalidate): counted once, nothing held in flight, the run\'s failure not the call\'s', async () => {
		let sent = 0;
		const fetch = (async () => {
			sent++;
			throw new TypeError('fetch failed');
		}) as typeof globalThis.fetch;
		const refreshing = mine('audit', { wrap: (_call, next) => {
			void next().catch(() => undefined);
			return Promise.resolve(new Response('copy'));
		} });
		const api = createClient({ fetch, retry: 0, audit: refreshing } as never);
		for (let index = 0; index < 3; index++) {
			expect(await api.get('https://a.test/x').text()).toBe('copy');
		}

		await until(() => sent === 3);
		// Before: {} (three requests went out, none counted).
		expect(counted(api.stats(), 'https://a.test')).toEqual({ requests: 3, successes: 3 });
		api.close();
	});
});

describe('a wrapper that runs ky twice and gives back its first run\'s response: the body shortcuts read that response', () => {
	/** A transport that answers each request with its number ({ n }) as JSON. */
	const numbering = () => {
		let n = 0;
		return (async () => Response.json({ n: ++n })) as typeof globalThis.fetch;
	};

	const firstOfTwo = mine('audit', { wrap: async (_call, next) => {
		const first = await next();
		await next();
		return first;
	} });

	for (const [shortcut, read] of [['json', (call: { json(): Promise<unknown> }) => call.json()], ['text', (call: { text(): Promise<unknown> }) => call.text()]] as const) {
		it(`.${shortcut}() resolves with the first run's body`, async () => {
			const api = createClient({ fetch: numbering(), retry: 0, audit: firstOfTwo } as never);
			// Before: TypeError 'Body is unusable: Body has already been read' (its body was read by ky's shortcut on its run).
			const body = await read(api.get('https://a.test/x') as never).catch((error: Error) => `${error.name}: ${error.message}`);
			expect(body).toEqual(shortcut === 'json' ? { n: 1 } : '{"n":1}');
			api.close();
		});
	}

	it('a wrapper that runs ky again only after reading its first answer: each shortcut reads the response it resolved with', async () => {
		const api = createClient({ fetch: numbering(), retry: 0, audit: mine('audit', { wrap: async (_call, next) => {
			const first = await next();
			return first.status === 200 ? next() : first;
		} }) } as never);
		expect(await api.get('https://a.test/x').json()).toEqual({ n: 2 });
		api.close();
	});
});

describe('a wrapper that runs ky twice at once: each run gets the answer a layer gave its own attempt', () => {
	/** A layer that answers each attempt without I/O with the page its request asks for (`x-page`). */
	const pages = mine('pages', (context) => ({
		layer: () => (request, init) => context.answer(init!.steadfetch!, new Response(`page ${request.headers.get('x-page')}`)),
	}));

	it('two pages asked at once: page 1 and page 2, not page 2 twice', async () => {
		const { fetch, seen } = noting();
		const both = mine('both', { wrap: async (_call, next) => {
			const [one, two] = await Promise.all([next({ headers: { 'x-page': '1' } }), next({ headers: { 'x-page': '2' } })]);
			return new Response(`${await one!.text()} + ${await two!.text()}`);
		} });
		const api = createClient({ fetch, retry: 0, pages, both } as never);
		// Before: TypeError 'Body is unusable: Body has already been read' (the second attempt's answer, one Response, taken for both runs).
		expect(await api.get('https://a.test/list').text()).toBe('page 1 + page 2');
		expect(seen).toEqual([]);
		api.close();
	});

	it('an error answer for one run and a Response for the other: each run settles with its own', async () => {
		const { fetch } = noting();
		const mixed = mine('mixed', (context) => ({
			layer: () => (request, init) => context.answer(init!.steadfetch!, request.headers.has('x-bad') ? new Error('refused here') : new Response('fine')),
		}));
		const both = mine('both', { wrap: async (_call, next) => {
			const [bad, good] = await Promise.allSettled([next({ headers: { 'x-bad': '1' } }), next()]);
			return new Response(`${bad.status === 'rejected' ? (bad.reason as Error).message : 'resolved'} / ${good.status === 'fulfilled' ? await good.value.text() : 'rejected'}`);
		} });
		const api = createClient({ fetch, retry: 0, mixed, both } as never);
		// Before: 'resolved / fine' (the bad run resolved with the good run's Response).
		expect(await api.get('https://a.test/x').text()).toBe('refused here / fine');
		api.close();
	});
});
