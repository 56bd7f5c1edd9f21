/**
 * `steadfetch/tanstack-query`: query and mutation options that tell TanStack Query (any adapter)
 * what steadfetch's stale answers, breaker and outbox mean. No runtime dependency on TanStack; the
 * types are structural, so they check against the adapter the app installed.
 */
export { queryOptionsFor, shown, type SteadfetchQueryOptions, type Shown, type ShownQuery } from '../tanstack-query/query.js';
export { followReachability, type ReachabilityOnlineManager } from '../tanstack-query/follow-reachability.js';
export { mutationOptionsFor, type Delivery, type SteadfetchMutationOptions } from '../tanstack-query/mutation.js';
export { refetchWhenBack, type RefetchingQueryClient } from '../tanstack-query/refetch-when-back.js';
export { StaleAnswerError } from '../tanstack-query/stale-answer-error.js';
export { syncInvalidation, type DeliveredWrite, type InvalidatingQuery, type InvalidatingQueryClient, type SyncInvalidationOptions } from '../tanstack-query/sync-invalidation.js';
