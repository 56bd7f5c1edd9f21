import type { PolicyCall } from '../core/policy.js';
import { isSteadfetchError } from '../errors/SteadfetchError.js';
import type { Drain } from './drain.js';
import { failureOf, lastErrorOf, outcomeOf, scheduleOf } from './outcome.js';
import { conflict, signedIn } from './pass.js';
import type { Queue } from './queue.js';
import type { OutboxRecord } from './record.js';
import type { World } from '../core/world.js';

const ignore = (): undefined => undefined;

/**
 * What the run of a write ended with: its answer, or its error and the answer it carries (ky's `HTTPError`, told by its
 * shape: importing ky's guard here kept an import of ky in bundles without the outbox). An error that is nothing (a custom
 * `fetch` or a hook that rejects with `undefined` or `null`) carries none.
 */
const answerOf = async (run: Promise<Response>): Promise<{ response: Response | undefined; error?: unknown }> => {
	try {
		return { response: await run };
	} catch (error) {
		const answer = (error as { response?: unknown } | null | undefined)?.response;
		return { response: answer instanceof Response ? answer : undefined, error };
	}
};

/**
 * The first attempt of a write queued at its deadline (`networkTimeoutMs`), followed to its end while
 * this client claims the entry (its drain skips it; other tabs and isolates honour its stored lease,
 * `inFlightUntil`). Delivered (an answer `classify()` calls no failure): the entry goes (`outbox:sent`
 * with `early: true`), even once removed or cleared. An answer a replay would dead-letter (a 4xx the
 * outbox rejects: a 422) makes it a dead letter at once (`outbox:dead`, `rejected`); a conflict (a 412,
 * a 409 with a precondition) is settled as a replay's (`onConflict`, pass.ts `conflict`). Otherwise the entry
 * stays, its lease ended, for a replay under the same key (`outbox:retry`): the replay's outcome decides
 * the rest; after the caller's abort it is due at once — unless, since the call started (its `world`),
 * it was discarded, the outbox cleared (all, or of its identity), the identity changed, or the client
 * closed: nothing is written back then, and the stored entry (if any is left) keeps its lease.
 * Then the drain runs for what waits behind it. Never rejects.
 */
export const follow = async (queue: Queue, drain: Drain, call: PolicyCall, record: OutboxRecord, key: string, run: Promise<Response>, kept: World): Promise<void> => {
	const { context, options } = queue;
	const { response, error } = await answerOf(run);
	// A steadfetch service worker's `202` for the write it holds (its outbox, or this one's through their one store) is no delivery.
	const failure = failureOf(response, error);
	// Written back only in the world its call started in (src/core/world.ts): no discard of it, no clear of
	// the outbox (all, or of its identity) and the same identity since the call started, not since `run` ended.
	const due = await queue.follow(record.id, async (following) => {
		// And while the client's identity() answers: a write of nobody's (made while nobody was signed in) is settled for nobody known (`signedIn`).
		// Its entry's removal asked of `kept`, opened as it was stored (before anyone could remove it): the removals of other
		// entries noted since its call started, however many, never count as its own.
		const current = (): boolean => following() && call.world.current('outbox') && kept.current('outbox', record.id) && signedIn(queue) !== null;
		const now = context.clock.now();
		if (!failure) {
			// Delivered: the values its dependents (`outbox.ref()`) ask for are kept (`kept`: also once another identity
			// is signed in, whose chain waits for its own) and its answer held in memory a while, then it is removed
			// (`outbox:sent` with `early: true`) — unless it was discarded or the outbox cleared (all, or of its
			// identity) since it was stored: its dependents are then 'parent' dead letters, never sent.
			await queue.deliver(record, key, response!, () => kept.current('outbox', record.id), call.world);
			return true;
		}

		const { code } = failure;
		delete record.inFlightUntil;
		// Its attempts that reached the network (a hold or the caller's abort ends one that did not count).
		record.attempts += Math.max(0, call.attempts - (isSteadfetchError(error) || call.signal?.aborted ? 1 : 0));
		record.lastError = lastErrorOf(failure, response, error, context);
		const outcome = response && outcomeOf(response, undefined, record, options, now, context.random);
		if (outcome?.kind === 'conflict' && current()) {
			// A conflict as for a replay (API.md "Slow networks"): `onConflict` reads the answer and decides; a rebased write is replayed now.
			// Its wait for `onConflict` ends at `close()` and at a clear, as a pass's (`Queue.waits`).
			const wait = new AbortController();
			queue.waits.add(wait);
			const settled = await conflict(queue, record, key, now, response!, current, wait.signal).finally(() => queue.waits.delete(wait));
			void response!.body?.cancel().catch(ignore);
			return settled === 'rebased' || undefined;
		}

		void response?.body?.cancel().catch(ignore); // Nobody reads it: the caller was answered.
		if (!current()) {
			return false;
		}

		if (outcome?.kind === 'dead' && outcome.reason === 'rejected') {
			// An answer a replay would dead-letter (a 422): a dead letter now, never sent again.
			// Told only when stored (`bury`): a clear or discard while it waited for the entry's lock leaves none to see.
			await queue.bury(record, key, 'rejected', current);
			return undefined;
		}

		const { at, pinned } = call.signal?.aborted ? { at: now, pinned: false } : scheduleOf(response, error, record, options, now, context.random);
		Object.assign(record, { nextAttemptAt: at, pinned });
		if (!await queue.writeBack(key, record, current)) {
			return false;
		}

		queue.emit('outbox:retry', record, { nextAttemptAt: at, code });
		return at <= now;
	}, call);
	if (due) {
		drain.soon(undefined, call.waitUntil);
	} else if (due === false) {
		drain.arm(record.nextAttemptAt);
	}
};

/**
 * The attempt of a write that went on past its deadline (`networkTimeoutMs`) after the outbox found it held already
 * (`Queue.holding`: the write pending entry `record` is, under `key`, claimed by this client meanwhile), followed to its
 * end: delivered (an answer `classify()` calls no failure, nor a steadfetch service worker's `202`), the entry goes
 * (`outbox:sent` with `early: true`) as for a write told queued at its deadline (`follow`) — unless it was discarded,
 * the outbox cleared or the client closed since; any other outcome changes nothing (the entry's replays decide, under
 * the same key). The claim ends with it. Never rejects.
 */
export const settleHeld = async (queue: Queue, call: PolicyCall, record: OutboxRecord, key: string, run: Promise<Response>, kept: World): Promise<void> => {
	const { response, error } = await answerOf(run);
	if (!response || failureOf(response, error)) {
		void response?.body?.cancel().catch(ignore);
		queue.release(record.id);
		return;
	}

	await queue.follow(record.id, async (following) => {
		if (following() && kept.current('outbox', record.id)) {
			await queue.deliver(record, key, response!, () => kept.current('outbox', record.id), call.world);
		} else {
			void response!.body?.cancel().catch(ignore);
		}
	}).catch(ignore);
};

