import { isHTTPError } from 'ky';
import type { PolicyCall } from '../core/policy.js';
import { background } from '../shared/part-store.js';
import type { Drain } from './drain.js';
import { isHold } from './hold.js';
import { outcomeOf } from './outcome.js';
import type { Queue } from './queue.js';
import type { OutboxRecord } from './record.js';

const ignore = (): undefined => undefined;

/**
 * The first attempt of a write queued at its deadline (`networkTimeoutMs`), followed to its end while
 * this client claims the entry (its drain skips it; other tabs and isolates honour its stored lease,
 * `inFlightUntil`). Delivered: the entry goes (`outbox:sent` with `early: true`), even once removed or
 * cleared. Otherwise, unless the entry was removed, cleared or the client closed meanwhile (nothing
 * is written back then), the lease ends and the entry stays: due now after the caller's abort or a
 * hold (no attempt counted), else as a replay's outcome says (`outcomeOf`) — another attempt later
 * under the same key (`outbox:retry`), its scope paused (401/403), or a dead letter (`outbox:dead`);
 * a conflict is left due now, for the drain to meet again with `onConflict`. Then the drain runs for
 * what waits behind it. Never rejects.
 */
export const follow = async (queue: Queue, drain: Drain, call: PolicyCall, record: OutboxRecord, key: string, run: Promise<Response>): Promise<void> => {
	const { context, options } = queue;
	let response: Response | undefined;
	let error: unknown;
	try {
		response = await run;
	} catch (caught) {
		error = caught;
		response = isHTTPError(caught) ? caught.response : undefined;
	}

	void response?.body?.cancel().catch(ignore); // Nobody reads it: the caller was answered.
	const due = await queue.follow(record.id, async (current) => {
		const now = context.clock.now();
		delete record.inFlightUntil;
		record.attempts += Math.max(0, call.attempts - 1);
		const outcome = error !== undefined && (call.signal?.aborted || isHold(context, call, error)) ? undefined : outcomeOf(response, error, record, options, now, context.random);
		if (outcome?.kind === 'sent') {
			await queue.store.delete(key);
			await queue.list(); // Before anyone hears of it: a write made then is not held behind it.
			queue.emit('outbox:sent', record, { status: response!.status, early: true });
			return true;
		}

		if (!current()) {
			return false;
		}

		record.nextAttemptAt = now;
		if (outcome) {
			const { code } = outcome.failure;
			const status = response?.status;
			record.attempts += outcome.counts ? 1 : 0;
			record.lastError = { code, message: response ? `${status} ${response.statusText}`.trim() : String(error), ...status && { status } };
			if (outcome.kind === 'dead') {
				record.deadReason = outcome.reason;
				await queue.store.set(`d${key.slice(1)}`, record);
				await queue.store.delete(key);
				queue.emit('outbox:dead', record, { deadReason: outcome.reason, code });
				return false;
			}

			if (outcome.kind === 'retry') {
				Object.assign(record, { nextAttemptAt: outcome.at, pinned: outcome.pinned });
			} else if (outcome.kind === 'pause') {
				queue.pause(record.scope);
			}

			queue.emit('outbox:retry', record, { nextAttemptAt: record.nextAttemptAt, code });
		}

		await queue.store.set(key, record);
		return record.nextAttemptAt <= now;
	});
	await queue.list();
	if (due) {
		background(context, 'outbox', call.waitUntil, async () => drain.trigger(undefined, call.waitUntil));
	} else {
		drain.arm(record.nextAttemptAt);
	}
};
