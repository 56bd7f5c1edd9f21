/**
 * steadfetch/tanstack-query (defect hunt, thirty-sixth round), with the real @tanstack/query-core.
 *
 * - `shown(result)`: a query with no data whose first load is in TanStack's retry (its stale copy the last try's
 *   `failureReason`, no `error` yet: `errorUpdatedAt` 0), then the observer moved to another key (`useQuery` with a new
 *   key: the same observer, the same `refetch`): the new query, loading, showed the previous key's copy.
 */
import { QueryClient, QueryObserver } from '@tanstack/query-core';
import { describe, expect, it } from 'vitest';
import { refetchWhenBack, shown, StaleAnswerError } from '../../src/entries/tanstack-query.js';
import { waitFor } from '../helpers/wait-for.js';

/** A stand-in client for `refetchWhenBack`: its `scope:back` listeners, called by `back(scope)`. */
const standIn = () => {
	const listeners = new Map<string, Array<(event: { scope: string }) => void>>();
	return {
		on(type: string, listener: (event: { scope: string }) => void) {
			listeners.set(type, [...(listeners.get(type) ?? []), listener]);
			return () => undefined;
		},
		back(scope: string) {
			for (const listener of listeners.get('scope:back') ?? []) {
				listener({ scope });
			}
		},
	};
};

describe('shown, when the observer moves to another key while a query with no data retries its first load', () => {
	it('the next key, loading, shows no copy of the previous one; the first key\'s retry replaced by refetchWhenBack still shows its own', async () => {
		const queryClient = new QueryClient();
		const api = standIn();
		const stop = refetchWhenBack(api as never, queryClient);
		try {
			const copy = new StaleAnswerError({ name: 'user 1' }, Date.now() - 5_000, 'network', undefined, 'https://api.example/users/1');
			let tries = 0;
			// The first try answered by the copy; the next one (the replaced retry) hangs: the scope's answer not in yet.
			const failing = async (): Promise<never> => {
				tries += 1;
				return tries === 1 ? Promise.reject(copy) : new Promise<never>(() => undefined);
			};
			const observer = new QueryObserver<unknown>(queryClient, { queryKey: ['user', 1], queryFn: failing, retry: true, retryDelay: 600_000 });
			const off = observer.subscribe(() => undefined);
			await waitFor(() => observer.getCurrentResult().failureReason === copy, 'user 1\'s first try answered by its copy');
			const retrying = observer.getCurrentResult();
			expect([retrying.fetchStatus, retrying.errorUpdatedAt, retrying.dataUpdatedAt]).toEqual(['fetching', 0, 0]);
			expect(shown(retrying)).toMatchObject({ data: { name: 'user 1' }, reason: 'network' });

			// The scope back: the pending retry replaced by a fetch at once; while it runs, user 1's copy stays on screen.
			api.back('https://api.example');
			await waitFor(() => tries === 2, 'the retry replaced by a fetch');
			const refetching = observer.getCurrentResult();
			expect([refetching.fetchStatus, refetching.errorUpdatedAt, refetching.dataUpdatedAt]).toEqual(['fetching', 0, 0]);
			expect(shown(refetching)).toMatchObject({ data: { name: 'user 1' }, reason: 'network' });

			observer.setOptions({ queryKey: ['user', 2], queryFn: async () => new Promise<never>(() => undefined), retry: false });
			const next = observer.getCurrentResult();
			expect([next.fetchStatus, next.data, next.failureReason]).toEqual(['fetching', undefined, null]);
			// Before: { data: { name: 'user 1' }, reason: 'network' } for user 2.
			expect(shown(next)).toEqual({ data: undefined, ageMs: 0, reason: undefined, offline: false, pendingWrites: 0 });
			off();
		} finally {
			stop();
			queryClient.clear();
		}
	});
});
