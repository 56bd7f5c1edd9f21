import { outboxAt } from '../bands/bands.js';
import { optionsOf } from '../utils/validate.js';
import type { Policy, PolicyCall } from '../core/policy.js';
import type { OutboxMembers, OutboxParts } from './types.js';
import { resolveOutboxOptions, type OutboxOptions } from './options.js';
import { createOutbox } from './outbox.js';
import type { OutboxEvent } from './events.js';

/**
 * What importing this policy adds to the client's types (`client.on`, a call's options, the client's
 * members): its events, its per-call option `outbox`, and the member `outbox` of a client whose
 * `outbox` slot it fills.
 */
declare module 'steadfetch/core' {
	interface PolicyHooks {
		/**
		 * Set by the outbox: how many writes of `identity` to exactly `url` are pending (counted in memory,
		 * never by listing the store; an identity's digest is computed first when none was yet). The stale
		 * cache marks a copy it serves with it (`pending-writes=N`).
		 */
		pendingWrites?(url: string, identity: string | undefined): number | Promise<number>;
		/**
		 * Set by the outbox, asked by the trace slot: the request id stored with the entry `call` replays (the one of the
		 * call that queued it), which the replay continues; undefined for any other call, or an entry stored without one.
		 */
		replayRequestIdOf?(call: PolicyCall): string | undefined;
		/** Set by the outbox, asked by failover: whether the entry replay `call` sends was keyed by its caller (`OutboxRecord.keyed`), not by the outbox. */
		replayKeyed?(call: PolicyCall): boolean;
	}

	/** The `outbox` slot of `createClient`. */
	interface Slots {
		outbox: Policy<'outbox'>;
	}

	interface EventMap {
		'outbox:queued': OutboxEvent<'outbox:queued'>;
		'outbox:sent': OutboxEvent<'outbox:sent'>;
		'outbox:retry': OutboxEvent<'outbox:retry'>;
		'outbox:dead': OutboxEvent<'outbox:dead'>;
		'outbox:conflict': OutboxEvent<'outbox:conflict'>;
		'outbox:superseded': OutboxEvent<'outbox:superseded'>;
		'outbox:discarded': OutboxEvent<'outbox:discarded'>;
		'outbox:waiting': OutboxEvent<'outbox:waiting'>;
	}

	interface CallOptions {
		/**
		 * `false`: never queue this call. `true`: make this call eligible even if its method is not in
		 * `outbox.methods` — a write's: a read (GET, HEAD, OPTIONS, TRACE, QUERY) is never queued, and goes out as
		 * with `false`. Anything else is an `InvalidRequestError` before any I/O. Ignored when the
		 * client has no outbox.
		 * @default undefined (eligible when the method is in `outbox.methods`)
		 */
		outbox?: boolean;
	}

	interface SlotMembers {
		outbox: OutboxMembers;
	}
}

export { outboxSyncHandler, type SyncEventLike } from './background-sync.js';
export type { ConflictResolution, StoredEntry } from './types.js';

/** What `outbox()` makes: the value of the `outbox` slot (`Client<{ outbox: OutboxPolicy }>` names a client with one). */
export type OutboxPolicy = Policy<'outbox', OutboxParts>;

/**
 * The offline outbox, for the `outbox` slot of `createClient` (see `OutboxOptions`). Bad options
 * throw a `RangeError` naming the option and the value, here.
 *
 * @example
 * import { createClient } from 'steadfetch/core';
 * import { outbox } from 'steadfetch/outbox';
 * const api = createClient({ outbox: outbox({ retentionMs: 604_800_000 }) });
 */
export const outbox = (options?: OutboxOptions): OutboxPolicy => {
	const resolved = resolveOutboxOptions(optionsOf(options, 'outbox'));
	return { slot: 'outbox', at: outboxAt, create: (context) => createOutbox(context, resolved) };
};
