import { SteadfetchError, type SteadfetchErrorCode } from '../errors/SteadfetchError.js';

/**
 * Internal: thrown by the outbox's per-attempt layer, before any I/O, to stop an eligible call that
 * must be queued instead of sent: the runtime reports offline (`OFFLINE`), or older entries of the
 * same scope are waiting (`BEHIND`: FIFO per scope). Never reaches the caller; not a failure of the
 * origin (not transient), so a breaker must not count it.
 */
export class OutboxHold extends SteadfetchError {
	override name = 'OutboxHold' as const;
	readonly reason: 'OFFLINE' | 'BEHIND';

	constructor(reason: 'OFFLINE' | 'BEHIND') {
		super(reason === 'OFFLINE' ? 'The runtime is offline' : 'Older outbox entries of this scope are waiting', 'OUTBOX_HOLD' as SteadfetchErrorCode, false); // Internal code: never reaches a caller.
		this.reason = reason;
	}
}

