import type { ClientOf as Client } from '../core/client-types.js';
import { StaleAnswerError } from './stale-answer-error.js';

/** What `refetchWhenBack` uses of a TanStack `QueryClient` (any adapter's). */
export interface RefetchingQueryClient {
	refetchQueries(filters: { predicate: (query: { state: { fetchStatus: string; error: unknown } }) => boolean }): Promise<unknown>;
}

/**
 * As soon as a request gets through again (a breaker closes, in this tab or another), refetch the
 * queries that gave up on a stale answer. Returns the unsubscribe function.
 */
export const refetchWhenBack = (api: Pick<Client, 'on'>, queryClient: RefetchingQueryClient): (() => void) =>
	api.on('breaker:closed', () => {
		void queryClient.refetchQueries({ predicate: (query) => query.state.fetchStatus === 'idle' && query.state.error instanceof StaleAnswerError });
	});
