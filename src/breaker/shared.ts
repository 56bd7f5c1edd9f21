import { storageError } from '../shared/deadline.js';
import type { PolicyContext } from '../core/policy.js';
import type { SyncAnswer, SyncMessage } from '../coordinator/machine.js';
import { decodeRecord } from './record.js';
import type { Policy } from './resolve.js';
import type { Circuit } from './state.js';

/**
 * What a coordinator answers: one call reports what happened since the last sync and asks for the
 * scope's state (and the probe). `coordinator(env.STEADFETCH)` (Durable Objects) and `coordinator(kv)`
 * (Deno KV) implement it; `sharedCoordinator(sync)` makes a `breaker({ shared })` value of your own.
 */
export interface SharedCoordinator {
	sync(scope: string, message: SyncMessage): Promise<SyncAnswer>;
}

/** The value of `breaker({ shared })`: a coordinator, with the isolate's side of the sharing (so a breaker without one carries none of it). */
export interface SharedBreaker extends SharedCoordinator {
	link(context: PolicyContext, policy: Policy, cacheMs: number, timeoutMs: number): Shared;
}

/** One scope's link to the coordinator. */
interface Link {
	/** When the coordinator last answered for this scope (injected clock); -Infinity before. */
	syncedAt: number;
	/** Outcomes not sent yet (see `SyncMessage.outcomes`). */
	outcomes: number[];
	syncing: Promise<boolean> | undefined;
	/** The coordinator failed last time: `storage:error` was emitted for this episode. */
	down: boolean;
}

class Deadline extends Error {
	override name = 'SharedBreakerTimeout';
}

/**
 * The isolate's side of a shared breaker (`breaker({ shared })`). The local circuit keeps deciding
 * every attempt from memory; the coordinator's state is adopted into it at most `cacheMs` old (the
 * first attempt after that waits for a sync, at most `timeoutMs`). Failures are reported at once
 * without making the caller wait, successes with the next sync. The half-open probe is the
 * coordinator's to grant: one in the world. A coordinator that fails or is slow leaves the local
 * breaker in charge (`storage:error`, once per episode).
 */
export const createShared = (coordinator: SharedCoordinator, context: PolicyContext, policy: Policy, cacheMs: number, timeoutMs: number) => {
	const links = new Map<string, Link>();
	const shared = { consecutiveFailures: policy.consecutiveFailures, openMs: policy.openMs, maxOpenMs: policy.maxOpenMs, probeTimeoutMs: policy.probeTimeoutMs };
	const linkOf = (scope: string): Link => {
		let link = links.get(scope);
		if (!link) {
			link = { syncedAt: Number.NEGATIVE_INFINITY, outcomes: [], syncing: undefined, down: false };
			links.set(scope, link);
		}

		return link;
	};

	const bounded = async <T>(promise: Promise<T>): Promise<T> => {
		let timer: ReturnType<typeof setTimeout> | undefined;
		try {
			return await Promise.race([promise, new Promise<never>((_, reject) => {
				timer = setTimeout(() => reject(new Deadline(`The breaker coordinator did not answer within ${timeoutMs} ms`)), timeoutMs);
			})]);
		} finally {
			clearTimeout(timer);
		}
	};

	/** Send what is pending and adopt the answer; resolves with the grant (true), or false, or undefined when the coordinator failed. */
	const send = async (scope: string, circuit: Circuit, extra: Partial<SyncMessage> = {}): Promise<number | false | undefined> => {
		const link = linkOf(scope);
		const outcomes = link.outcomes.splice(0);
		try {
			const answer = await bounded(coordinator.sync(scope, { policy: shared, outcomes, ...extra }));
			const record = decodeRecord(answer?.record);
			if (!record || record.scope !== scope) {
				throw new TypeError('The breaker coordinator answered something that is not a breaker record');
			}

			link.syncedAt = context.clock.now();
			link.down = false;
			circuit.adopt(record, 'shared', link.syncedAt);
			return typeof answer.granted === 'number' ? answer.granted : false;
		} catch (error) {
			link.syncedAt = context.clock.now(); // Asked again after cacheMs, not on every call.
			if (!link.down) {
				link.down = true;
				storageError(context, 'breaker', 'shared', error, scope);
			}

			return undefined;
		}
	};

	return {
		/** Before an attempt: a sync when the adopted state is older than `cacheMs` (bounded wait); else nothing to wait for. */
		fresh(scope: string, circuit: Circuit): Promise<unknown> | undefined {
			const link = linkOf(scope);
			if (context.clock.now() - link.syncedAt < cacheMs) {
				return undefined;
			}

			link.syncing ??= send(scope, circuit).then(() => true).finally(() => {
				link.syncing = undefined;
			});
			return link.syncing;
		},
		/** An attempt's outcome: kept for the next sync; a failure is sent at once (not awaited). */
		outcome(scope: string, circuit: Circuit, failed: boolean, retryAfterMs: number): void {
			const link = linkOf(scope);
			if (link.outcomes.length < 64) {
				link.outcomes.push(failed ? Math.max(1, retryAfterMs) : 0);
			}

			if (failed) {
				void send(scope, circuit);
			}
		},
		/** The coordinator's probe: its grant time, false when another isolate holds it, undefined when the coordinator failed. */
		probe: async (scope: string, circuit: Circuit): Promise<number | false | undefined> => send(scope, circuit, { probe: true }),
		/** A granted probe's outcome (not awaited). */
		probed(scope: string, circuit: Circuit, at: number, failed: boolean): void {
			void send(scope, circuit, { probed: { at, failed } });
		},
		/** `isolate` / `reset` by hand, for every isolate (not awaited). */
		command(scope: string, circuit: Circuit, command: 'isolate' | 'reset'): void {
			void send(scope, circuit, { command });
		},
	};
};

export type Shared = ReturnType<typeof createShared>;

/** A `breaker({ shared })` value over any coordinator's `sync` (Durable Objects, Deno KV, your own service). */
export const sharedCoordinator = (sync: SharedCoordinator['sync']): SharedBreaker => {
	const coordinator: SharedBreaker = {
		sync,
		link: (context, policy, cacheMs, timeoutMs) => createShared(coordinator, context, policy, cacheMs, timeoutMs),
	};
	return coordinator;
};
