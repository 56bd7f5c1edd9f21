import { clamp, maxFleetOpenMs, type ScopeState, type SyncMessage } from './sync.js';

/**
 * The time a coordinator decides a sync at: its clock's `now` (a Deno KV process's own, Redis's, a Durable Object's),
 * or the latest time the stored state holds (its open period's start, its record's date, its probe's grant) while that
 * is less than the message's `maxOpenMs` ahead of it. `read` reads the stored state as of a time (`readState`). A clock
 * behind the one that wrote the state (another Deno KV process's; Redis's after a failover to a replica whose clock runs
 * behind; a Durable Object's started again on a host whose clock runs behind) takes those times as the fleet's, as the
 * throttle's buckets are (`tallyThrottle`). Read at its own now, it moved the fleet's open period to start then (ended earlier by its lag for every isolate on the clock that opened it),
 * opened a scope closed ahead of it before the close (the same), and counted a probe granted ahead as failed (started
 * in its future): the scope re-opened, doubled, and the probe's success was not counted.
 */
export const syncTime = (read: (at: number) => ScopeState | undefined, message: SyncMessage, now: number): number => {
	const bound = now + clamp(message?.policy?.maxOpenMs, 1, maxFleetOpenMs, 300_000); // as `sync` bounds it
	// Read as of `bound`, an open period's start is at most `bound` (`readRecord`): one that far ahead is no other clock's.
	const ahead = read(bound);
	const latest = ahead ? Math.max(ahead.record.openedAt, ahead.record.at, ahead.probeAt) : 0;
	return latest < bound ? Math.max(now, latest) : now;
};
