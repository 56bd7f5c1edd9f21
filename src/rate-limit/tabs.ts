import type { PolicyContext } from '../core/policy.js';
import { storageError } from '../core/part-store.js';
import { isNewer, openChannel, type Channel } from '../utils/channel.js';
import { hasTabs } from '../utils/tabs.js';
import type { Buckets } from './buckets.js';

/**
 * The channel `steadfetch:<name>:ratelimit` to the other tabs and workers of the client's name, which
 * tell each other that a server said a scope's quota is spent: with `share`, else where there are
 * tabs; `undefined` without it or a channel. Another tab's word (distrusted: a message of the
 * expected shape only, its scope at most 8 192 characters, the bound of every scope, as the breaker's records) blocks the scope in `buckets`, bounded by
 * `maxResetMs` from now (on the family's clock, as its buckets' times: not a child's of `extend()` given a clock of its own): a scope the client knows, or a new one while it knows fewer than `maxHeard` (a
 * blocked bucket is kept until its block ends: a flood of new scopes holds no more); a newer build's word (another `v`,
 * or no `blockedUntil`) is ignored quietly; anything else is ignored and reported as `storage:error` (operation
 * `channel`), without its content. The `workerd`/`deno`/`edge-light` build has `tabs-edge.ts` instead (no tabs
 * there): no receiver of another tab's word.
 */
/** Scopes another tab's message may add (as the throttle's tabs: a tab learns a scope before its first call to it). */
const maxHeard = 64;

export const linkTabs = (context: PolicyContext, share: boolean | undefined, buckets: Pick<Buckets, 'scope' | 'get' | 'size' | 'clock'>, maxResetMs: number): Channel | undefined =>
	share === true || (share === undefined && hasTabs())
		? openChannel(`steadfetch:${context.name}:ratelimit`, (data) => {
			const { v, scope, blockedUntil } = (data ?? {}) as { v?: unknown; scope?: unknown; blockedUntil?: unknown };
			if (v === 1 && typeof scope === 'string' && scope.length <= 8192 && typeof blockedUntil === 'number' && Number.isFinite(blockedUntil)) {
				const bucket = (buckets.get(scope) || buckets.size < maxHeard) && buckets.scope(scope);
				if (bucket) {
					bucket.blockedUntil = Math.max(bucket.blockedUntil, Math.min(blockedUntil, buckets.clock.now() + maxResetMs));
				}
			} else if (!isNewer(data, () => v === 1 && blockedUntil !== undefined)) {
				storageError(context, 'rateLimit', 'channel', new TypeError('Ignored a malformed rate-limit message from another tab'));
			}
		})
		: undefined;
