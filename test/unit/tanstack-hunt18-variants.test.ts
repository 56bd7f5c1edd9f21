/**
 * Defect hunt, eighteenth round (TanStack Query helpers), with the real @tanstack/query-core.
 * `refetchWhenBack` waits for a query's scope as the client computes it: a client without a breaker
 * scopes a `blob:` URL by its scheme and an app policy's `scopeOf` decides for every URL, so the scope
 * a query gave up on is the client's own (its `scope:back` names that scope), never `new URL(url).origin`.
 */
import { QueryClient } from '@tanstack/query-core';
import { describe, expect, it, vi } from 'vitest';
import { createClient as createCore } from '../../src/entries/core.js';
import { classify, createClient } from '../../src/entries/index.js';
import type { Policy } from '../../src/entries/policy.js';
import { queryOptionsFor, refetchWhenBack } from '../../src/entries/tanstack-query.js';

/** An app's policy that only scopes URLs (`PolicyParts.scopeOf`). */
const scoping = (scopeOf: (url: string) => string): Policy<'tenants'> => ({ slot: 'tenants', create: () => ({ scopeOf }) }) as unknown as Policy<'tenants'>;

/** A query that failed on `failing`, then a call to `other` of its scope answered 200: is it refetched (`success`)? */
const refetchedAfter = async (options: Record<string, unknown>, failing: string, other: string, fail: (request: Request) => Response | undefined, create: typeof createCore = createClient as never): Promise<void> => {
	let down = true;
	const fetch = (async (request: Request) => (down && fail(request)) || Response.json({ url: request.url })) as typeof globalThis.fetch;
	const client = create({ name: `tq18-${Math.random()}`, fetch, retry: 0, staleCache: false, ...options } as never);
	const queryClient = new QueryClient();
	const stop = refetchWhenBack(client, queryClient);
	const back: string[] = [];
	client.on('scope:back', ({ scope }) => void back.push(scope));
	try {
		const queryKey = ['tq18', failing];
		await queryClient.prefetchQuery({ queryKey, ...queryOptionsFor<unknown>(client, failing), retry: false });
		expect(queryClient.getQueryState(queryKey)?.status).toBe('error');
		const { transient } = classify(queryClient.getQueryState(queryKey)?.error);
		expect(transient).toBe(true);
		down = false;
		await client.get(other);
		// The client told the scope is back (its own scope: the event is not what this fixes).
		expect(back.length).toBe(1);
		// Before: still 'error' (the query's scope taken as `new URL(url).origin`: not the one told).
		await vi.waitFor(() => expect(queryClient.getQueryState(queryKey)?.status, `${failing} (scope:back ${back[0]})`).toBe('success'));
		expect(queryClient.getQueryData(queryKey)).toEqual({ url: failing });
	} finally {
		stop();
		queryClient.clear();
		client.close();
	}
};

/** A revoked object URL, as fetch fails it. */
const revoked = (request: Request): Response | undefined => {
	if (request.url.endsWith('/revoked')) {
		throw new TypeError('fetch failed');
	}

	return undefined;
};

describe('refetchWhenBack waits for the scope the client computes', () => {
	it('a blob: query of a client without a breaker: its scope is the scheme, as the client\'s', async () => {
		await refetchedAfter({ breaker: false }, 'blob:https://app.test/revoked', 'blob:https://app.test/live', revoked);
		// steadfetch/core without a breaker: no `client.breaker` to ask either.
		await refetchedAfter({}, 'blob:https://app.test/revoked', 'blob:https://app.test/live', revoked, createCore);
	});

	it('an app policy\'s scopeOf (one scope for the shards of an API), without a breaker: a 503 and a network failure', async () => {
		const tenants = scoping((url) => (new URL(url).hostname.endsWith('.api.test') ? 'api' : new URL(url).origin));
		await refetchedAfter({ breaker: false, tenants }, 'https://a.api.test/item', 'https://b.api.test/other', (request) => (request.url.startsWith('https://a.') ? new Response('busy', { status: 503 }) : undefined));
		await refetchedAfter({ breaker: false, tenants }, 'https://a.api.test/revoked', 'https://b.api.test/other', revoked);
		await refetchedAfter({ tenants }, 'https://a.api.test/revoked', 'https://b.api.test/other', revoked, createCore);
	});

	it('an app policy\'s scopeOf with a breaker of its own default scope', async () => {
		const tenants = scoping((url) => (new URL(url).hostname.endsWith('.api.test') ? 'api' : new URL(url).origin));
		await refetchedAfter({ tenants }, 'https://a.api.test/item', 'https://b.api.test/other', (request) => (request.url.startsWith('https://a.') ? new Response('busy', { status: 503 }) : undefined));
	});

	it('the breaker\'s scope option, as before', async () => {
		await refetchedAfter({ breaker: { scope: (url: string) => (new URL(url).hostname.endsWith('.api.test') ? 'api' : new URL(url).origin) } }, 'https://a.api.test/item', 'https://b.api.test/other', (request) => (request.url.startsWith('https://a.') ? new Response('busy', { status: 503 }) : undefined));
	});

	it('the origin by default, as before', async () => {
		await refetchedAfter({ breaker: false }, 'https://api.test/item', 'https://api.test/other', (request) => (request.url.endsWith('/item') ? new Response('busy', { status: 503 }) : undefined));
	});
});
