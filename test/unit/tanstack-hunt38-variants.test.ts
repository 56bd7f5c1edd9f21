/**
 * steadfetch/tanstack-query (defect hunt, thirty-eighth round), with the real @tanstack/query-core and a loopback API.
 *
 * - `syncInvalidation`: a write delivered (here, or by another client of the name: another tab's is heard the same way)
 *   while a query of its URL was fetching: TanStack's `invalidateQueries` keeps a fetch under way that has no data yet (a
 *   first load) or no observer (a `fetchQuery`, a `prefetchQuery`), and that fetch's answer, asked before the write,
 *   then landed as fresh data (`isInvalidated` cleared): the query showed the state before the write for its whole
 *   `staleTime`.
 * - `queryOptionsFor(api, url, { signal })` whose own signal ended the call with a reason that reads transient (an
 *   `AbortSignal.timeout(ms)`: a `TimeoutError`): TanStack retried twice into that dead signal, each retry ending at
 *   once: the query failed after its 1 s + 2 s backoff instead of at once, and the client counted three aborted calls.
 */
import { QueryClient, QueryObserver } from '@tanstack/query-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/entries/index.js';
import { queryOptionsFor, syncInvalidation, type SyncInvalidationOptions } from '../../src/entries/tanstack-query.js';
import { holdGate } from '../helpers/hold-gate.js';
import { serve, type RunningServer } from '../helpers/node-server.js';
import { waitFor } from '../helpers/wait-for.js';

let server: RunningServer;
/** Holds the API's answers to reads (each read answers the version it found when it came in). */
const reads = holdGate();
/** The todos' version: each write makes the next one. */
let version = 1;
/** Reads the API has taken in (each then waits at `reads` while it is shut). */
let arrived = 0;
let names = 0;
const closing: Array<() => void> = [];

beforeAll(async () => {
	server = await serve(async (request) => {
		if (request.method !== 'GET') {
			version += 1;
			return new Response(null, { status: 204 });
		}

		const seen = version;
		arrived += 1;
		await reads.held();
		return Response.json({ version: seen });
	});
});
afterAll(async () => server.close());
afterEach(() => {
	reads.release();
	version = 1;
	arrived = 0;
	for (const close of closing.splice(0)) {
		close();
	}
});

/** A client of its own name, a QueryClient whose data stays fresh a minute, and `syncInvalidation` between them. */
const synced = (options?: SyncInvalidationOptions) => {
	const api = createClient({ name: `tq38-${names++}`, prefix: `${server.url}/`, retry: 0, breaker: false, staleCache: false });
	const queryClient = new QueryClient({ defaultOptions: { queries: { staleTime: 60_000 } } });
	const stop = syncInvalidation(api, queryClient, options);
	closing.push(() => {
		stop();
		queryClient.clear();
		api.close();
	});
	return { api, queryClient };
};

describe('syncInvalidation: a write delivered while a query of its URL is fetching', () => {
	it('a first load under way (an observer, no data yet) ends with the answer after the write, not the one asked before it', async () => {
		const { api, queryClient } = synced();
		reads.hold();
		const observer = new QueryObserver(queryClient, { queryKey: ['todos'], ...queryOptionsFor<{ version: number }>(api, 'todos') });
		const off = observer.subscribe(() => undefined);
		closing.push(off);
		await waitFor(() => arrived === 1, 'the first load at the API');
		// Another client of the name delivers the write (another tab's delivery is told to this one the same way).
		const other = createClient({ name: `tq38-${names - 1}`, prefix: `${server.url}/`, retry: 0, breaker: false, staleCache: false });
		closing.push(() => other.close());
		await other.post('todos', { json: { title: 'milk' } });
		reads.release();
		await waitFor(() => observer.getCurrentResult().fetchStatus === 'idle' && observer.getCurrentResult().status === 'success', 'the first load settled');
		const result = observer.getCurrentResult();
		// Before: { version: 1 }, fresh for a minute (isStale false), the query not invalidated.
		expect(result.data).toEqual({ version: 2 });
		expect(queryClient.getQueryState(['todos'])?.isInvalidated).toBe(false);
		// The fetch asked before the write was cancelled (aborted: no failure of the origin's) and fetched once again.
		expect(arrived).toBe(2);
		expect(api.stats()[server.url]?.failures).toEqual({ ABORTED: 1 });
		expect(api.reachability(server.url)).not.toBe('unreachable');
	});

	it('a fetchQuery under way (no observer) resolves the answer after the write; data already held is refetched too', async () => {
		const { api, queryClient } = synced();
		await queryClient.fetchQuery({ queryKey: ['todos', 'held'], ...queryOptionsFor(api, 'todos?held') });
		arrived = 0;
		reads.hold();
		const loading = queryClient.fetchQuery({ queryKey: ['todos'], ...queryOptionsFor<{ version: number }>(api, 'todos') });
		const refreshing = queryClient.fetchQuery({ queryKey: ['todos', 'held'], ...queryOptionsFor<{ version: number }>(api, 'todos?held'), staleTime: 0 });
		await waitFor(() => arrived === 2, 'both fetches at the API');
		await api.post('todos', { json: { title: 'milk' } });
		reads.release();
		// Before: { version: 1 } for both (asked before the write), each then fresh for a minute.
		expect(await loading).toEqual({ version: 2 });
		expect(await refreshing).toEqual({ version: 2 });
		expect(queryClient.getQueryData(['todos'])).toEqual({ version: 2 });
		expect(queryClient.getQueryData(['todos', 'held'])).toEqual({ version: 2 });
		expect(arrived).toBe(4);
	});

	it('an observed query refetching its data is fetched once again, not twice (TanStack\'s invalidation replaces that fetch itself)', async () => {
		const { api, queryClient } = synced();
		const observer = new QueryObserver(queryClient, { queryKey: ['todos'], ...queryOptionsFor<{ version: number }>(api, 'todos') });
		closing.push(observer.subscribe(() => undefined));
		await waitFor(() => observer.getCurrentResult().status === 'success', 'the first load');
		arrived = 0;
		reads.hold();
		const refetched = observer.refetch();
		await waitFor(() => arrived === 1, 'the refetch at the API');
		await api.post('todos', { json: { title: 'milk' } });
		reads.release();
		expect((await refetched).data).toEqual({ version: 2 });
		expect(arrived).toBe(2);
	});

	it('so is a query of a key `touches` names (a first load under way, and a fetchQuery of data held): the answer after the write', async () => {
		const { api, queryClient } = synced({ touches: ({ url }) => url.endsWith('/orders') ? [['cart']] : [] });
		await queryClient.fetchQuery({ queryKey: ['cart', 'held'], ...queryOptionsFor(api, 'cart?held') });
		arrived = 0;
		reads.hold();
		const observer = new QueryObserver(queryClient, { queryKey: ['cart'], ...queryOptionsFor<{ version: number }>(api, 'cart') });
		closing.push(observer.subscribe(() => undefined));
		const refreshing = queryClient.fetchQuery({ queryKey: ['cart', 'held'], ...queryOptionsFor<{ version: number }>(api, 'cart?held'), staleTime: 0 });
		await waitFor(() => arrived === 2, 'both fetches at the API');
		await api.post('orders', { json: { item: 'milk' } });
		reads.release();
		// Before: { version: 1 } for both, fresh for a minute.
		expect(await refreshing).toEqual({ version: 2 });
		await waitFor(() => observer.getCurrentResult().status === 'success' && observer.getCurrentResult().fetchStatus === 'idle', 'the first load settled');
		expect(observer.getCurrentResult().data).toEqual({ version: 2 });
		expect(arrived).toBe(4);
	});

	it('a query of another URL fetching meanwhile is left alone (its fetch not replaced)', async () => {
		const { api, queryClient } = synced();
		reads.hold();
		const users = queryClient.fetchQuery({ queryKey: ['users'], ...queryOptionsFor<{ version: number }>(api, 'users') });
		await waitFor(() => arrived === 1, 'the read at the API');
		await api.post('todos', { json: { title: 'milk' } });
		reads.release();
		// Asked before the write, of a URL the write did not touch: its answer is kept.
		expect(await users).toEqual({ version: 1 });
	});
});

describe('queryOptionsFor: a call its options\' own signal ended is not retried by TanStack', () => {
	it('an AbortSignal.timeout() that ended the first load: the query fails at once, one call, one abort', async () => {
		const api = createClient({ name: `tq38-${names++}`, prefix: `${server.url}/`, retry: 0, breaker: false, staleCache: false });
		const queryClient = new QueryClient();
		closing.push(() => {
			queryClient.clear();
			api.close();
		});
		reads.hold();
		const options = queryOptionsFor(api, 'todos', { signal: AbortSignal.timeout(50) });
		const failure = await queryClient.fetchQuery({ queryKey: ['todos'], ...options }).then(() => undefined, (error: unknown) => error);
		expect((failure as Error).name).toBe('TimeoutError');
		// Before: 3 (two retries after 1 s and 2 s, each ending at once on the dead signal), { ABORTED: 3 }.
		expect(queryClient.getQueryState(['todos'])?.fetchFailureCount).toBe(1);
		expect(api.stats()[server.url]?.failures).toEqual({ ABORTED: 1 });
		// Its retry is otherwise TanStack's as before: a timeout of ky's own (no signal of the options') is retried.
		expect(queryOptionsFor(api, 'todos').retry(0, failure as Error)).toBe(true);
		expect(options.retry(0, failure as Error)).toBe(false);
	});
});
