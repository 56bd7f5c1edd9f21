import type { BreakerOptions } from '../breaker/options.js';
import type { CacheOptions } from '../cache/options.js';
import type { BaseClientOptions } from '../core/options.js';
import type { Policy, SlotName } from '../core/policy.js';
import type { BreakerMembers } from '../breaker/members.js';
import type { CacheMembers } from '../cache/members.js';
import type { OutboxMembers } from '../outbox/types.js';

/**
 * Options of `createClient` from `steadfetch`: every ky option, the core's keys, the breaker and the
 * stale cache as plain options (`{ … }`, `true` for their defaults, `false` for off, or a policy made
 * by their entry), and the outbox and every other slot as the policy its factory makes
 * (`outbox: outbox()`, `bulkhead: bulkhead()`).
 *
 * Defaults that differ from ky's: `retry.jitter` is full jitter (drawn from `random`),
 * `retry.retryOnTimeout` is `true`, `retry.backoffLimit` and `retry.maxRetryAfter` are 30 000 ms,
 * and POST and PATCH are retried only when the request carries an `Idempotency-Key` header.
 */
export interface ClientOptions extends BaseClientOptions, OtherSlots {
	/**
	 * The per-scope circuit breaker (see `BreakerOptions`). `false` turns it off.
	 * @default on: `consecutiveFailures` 5, `openMs` 5 000 ms doubling up to `maxOpenMs` 300 000 ms
	 */
	breaker?: BreakerOptions | Policy<'breaker'> | boolean;
	/**
	 * The stale cache fallback for GET and HEAD (see `CacheOptions`). `false` turns it off.
	 * (`cache` is fetch's own `RequestCache`, as in ky; `cache: 'no-store'` also skips the stale cache.)
	 * @default on: `maxStaleMs` 86 400 000 ms (24 h)
	 */
	staleCache?: CacheOptions | Policy<'staleCache'> | boolean;
	/**
	 * The offline outbox for mutations: the policy `outbox(options?)` makes (see `OutboxOptions`), from
	 * `steadfetch` or `steadfetch/outbox`. Off until given, because queuing changes what a failed
	 * mutation means, and a program that never queues carries none of its code. `true` or plain
	 * options here throw a `TypeError` naming `outbox()`.
	 * @default false
	 */
	outbox?: Policy<'outbox'> | false;
}

/** Every other slot: the policy its own entry makes, or `false`. */
type OtherSlots = { [S in Exclude<SlotName, 'breaker' | 'staleCache' | 'outbox'>]?: Policy<S> | false };

/**
 * The members of a `steadfetch` (preset) client made with options `O`: the breaker's and the cache's
 * always (stand-ins when off), the outbox's when its slot holds `outbox()`. The preset's own names: the
 * core finds them through `SlotMembers` (`MembersOf<ClientOptions, O>` is the same type).
 */
export type PresetMembers<O> = BreakerMembers & CacheMembers & ([O] extends [{ outbox: object }] ? OutboxMembers : unknown);
