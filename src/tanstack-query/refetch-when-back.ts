import type { ClientOf as Client } from '../core/client-types.js';
import type { BreakerMembers } from '../breaker/members.js';
import { classify } from '../errors/classify.js';
import { StaleAnswerError } from './stale-answer-error.js';

/** What `refetchWhenBack` uses of a TanStack `QueryClient` (any adapter's). */
export interface RefetchingQueryClient {
	refetchQueries(filters: { predicate: (query: { state: { fetchStatus: string; error: unknown } }) => boolean }): Promise<unknown>;
}

/**
 * The scope a query gave up on: a stale answer's or a failure's URL (its scope as the client
 * computes it, `breaker.scope` included), or an open breaker's scope; `undefined` for a failure
 * that is not a reason to wait for the scope (a 4xx, an abort, an error of the app's).
 */
const gaveUpOn = (api: Partial<BreakerMembers>, error: unknown): string | undefined => {
	const { code } = classify(error);
	const url = error instanceof StaleAnswerError ? error.url
		: code === 'NETWORK' || code === 'TIMEOUT' ? (error as { request?: Request }).request?.url : undefined;
	return code === 'CIRCUIT_OPEN' ? (error as { scope?: string }).scope : url && (api.breaker?.(url).scope ?? new URL(url).origin);
};

/**
 * Refetch the queries that gave up — on a stale answer (`StaleAnswerError`), a `CircuitOpenError` or
 * a network failure or timeout — as soon as their scope answers again: an attempt to it got an answer
 * `classify()` does not call transient (`scope:back`, in this tab), or its breaker closed (here or in
 * another tab). A query's scope is its URL's (as given to `queryOptionsFor`), as the client computes
 * it. Returns the unsubscribe function.
 */
export const refetchWhenBack = (api: Pick<Client, 'on'> & Partial<BreakerMembers>, queryClient: RefetchingQueryClient): (() => void) => {
	const back = ({ scope }: { scope: string }): void => {
		void queryClient.refetchQueries({ predicate: ({ state }) => state.fetchStatus === 'idle' && gaveUpOn(api, state.error) === scope });
	};

	const answered = api.on('scope:back', back);
	const closed = api.on('breaker:closed', back);
	return () => {
		answered();
		closed();
	};
};
