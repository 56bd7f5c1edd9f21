import { sensitiveOf } from '../shared/sensitive-of.js';
import { identityDigest } from '../shared/digest.js';
import { splitSensitive } from '../shared/sensitive.js';
import { withoutIo } from './settle.js';
import type { PolicyCall, PolicyContext, RunOptions } from '../core/policy.js';
import type { FetchInit, FetchLike, Layer } from '../core/types.js';
import { classify } from '../errors/classify.js';
import { OutboxFullError } from '../errors/OutboxFullError.js';
import { OutboxQueuedError } from '../errors/OutboxQueuedError.js';
import { backoffDelay } from './backoff.js';
import { isOffline, parseRetryAfter } from '../core/runtime.js';
import type { Drainer } from './drainer.js';
import { OutboxHold } from './hold.js';
import type { ResolvedOutboxOptions } from './options.js';
import type { QueueStore } from './queue-store.js';
import { dropSet, makeKey, storedRequestHeaders, type OutboxRecord } from './record.js';
import { snapshotBody } from './snapshot.js';
import { registerSync } from './sync.js';

interface Deps {
	context: PolicyContext;
	options: ResolvedOutboxOptions;
	queue: QueueStore;
	drainer: Drainer;
	/** Called on every eligible call (lets a deferred start drain run where timers were not allowed). */
	touch(): void;
}

const orderKey = Symbol.for('steadfetch.outbox.order');

/**
 * The sequence number of an entry's key: one counter for every client of the realm (page, worker,
 * process), made on first use, so entries that clients of one name write within the same millisecond
 * keep the order they were written in (FIFO per scope across clients, not only within one).
 */
const nextSeq = (): number => {
	const realm = globalThis as { [orderKey]?: { seq: number } };
	realm[orderKey] ??= { seq: 0 };
	return realm[orderKey].seq++;
};

/**
 * The call side of the outbox: `wrap` snapshots and checks an eligible call before any I/O, fixes its
 * Idempotency-Key, and stores it when it cannot be delivered; `layer` holds an eligible attempt that
 * must not go out (offline, or older entries of its scope waiting) and turns any successful
 * response of a scope with pending entries into a drain trigger.
 */
export const createCallSide = ({ context, options, queue, drainer, touch }: Deps) => {
	/** Eligible calls in flight → the scopes that had pending entries when the call started. */
	const tracked = new WeakMap<PolicyCall, ReadonlySet<string>>();

	const dropped = dropSet([...options.sensitiveHeaders, ...sensitiveOf(context).headers]);
	/** A URL with a sensitive query parameter is never stored: the call goes as with `outbox: false`. */
	const secret = (url: string): boolean => splitSensitive(url, sensitiveOf(context).params).found !== undefined;

	const appliesTo = (call: PolicyCall): boolean => {
		const flag = call.options['outbox'];
		return flag === true || (flag !== false && options.methods.has(call.method));
	};

	const enqueue = async (call: PolicyCall, request: Request, snapshot: Awaited<ReturnType<typeof snapshotBody>>, error: unknown, idempotencyKey: string): Promise<Response> => {
		const now = context.clock.now();
		const hold = error instanceof OutboxHold;
		const scope = context.scopeOf(request.url);
		const { code } = hold ? { code: error.reason } : classify(error);
		const headers = storedRequestHeaders(request.headers, dropped);
		const type = snapshot.contentType;
		if (type && (type.startsWith('multipart/form-data') || !headers['content-type'])) {
			headers['content-type'] = type;
		}

		const id = crypto.randomUUID();
		// A wait from outside (the server's Retry-After, the breaker's) never outlives the entry's retention.
		const given = hold ? 0 : (error as { retryAfterMs?: number }).retryAfterMs
			?? parseRetryAfter((error as { response?: Response }).response?.headers.get('retry-after'), now)
			?? backoffDelay(1, options.baseBackoffMs, options.maxBackoffMs, context.random);
		const waitMs = Number.isFinite(given) ? Math.min(Math.max(0, given), options.retentionMs) : options.retentionMs;
		const identity = call.identity === undefined ? undefined : await identityDigest(context.name, call.identity);
		const record: OutboxRecord = {
			v: 1, id, method: request.method, url: request.url, headers, idempotencyKey,
			createdAt: now, attempts: hold || withoutIo.has(code) ? 0 : 1, nextAttemptAt: now + waitMs, scope,
			...(identity === undefined ? {} : { identity }),
			...(snapshot.body ? { body: snapshot.body } : {}),
			...(hold ? {} : { lastError: { code, message: error instanceof Error ? error.message : String(error), ...statusOf(error) } }),
		};
		await queue.set(makeKey('p', now, nextSeq(), id, scope), record);
		context.emit('outbox:queued', { scope, method: record.method, url: record.url, entryId: id, idempotencyKey: record.idempotencyKey, attempts: record.attempts, code });
		registerSync(context.name);
		if (!isOffline()) {
			void drainer.trigger();
		}

		if (options.queuedResponse === 'accepted') {
			return new Response(JSON.stringify({ queued: true, entryId: id }), {
				status: 202,
				statusText: 'Accepted',
				headers: { 'content-type': 'application/json', 'steadfetch-outbox-entry': id },
			});
		}

		throw new OutboxQueuedError(id, { cause: error });
	};

	const wrap = async (call: PolicyCall, next: (extra?: RunOptions) => Promise<Response>): Promise<Response> => {
		touch();
		const snapshot = await snapshotBody(call.input, call.options, options.maxBodyBytes, context.options['stringifyJson'] as ((value: unknown) => string) | undefined);
		const { send } = snapshot;
		// Online, the call may go out at once: list the store, so an entry another tab or worker has
		// just queued in its scope holds it (FIFO). Offline, it is held whatever the scopes say, and
		// this context's view of the keys serves (see QueueStore): no store I/O before the write.
		await queue.load(!isOffline());
		const pending = queue.pending();
		if (pending.length >= options.maxEntries) {
			throw new OutboxFullError(`The outbox is full (outbox.maxEntries = ${options.maxEntries}); nothing was stored or sent`);
		}

		const key = call.idempotencyKey ?? callerKey(call) ?? crypto.randomUUID();
		tracked.set(call, new Set(pending.map((entry) => entry.scope)));
		try {
			// The first attempt sends the bytes a replay will, with the entry's key; offline, the layer
			// below holds it without I/O, so ky need not copy the request for retries.
			return await next({
				headers: { 'idempotency-key': key, ...(send && 'bytes' in send ? { 'content-type': send.contentType } : {}) },
				...(send ? 'json' in send ? { stringifyJson: () => send.json } : { body: send.bytes } : {}),
				...(isOffline() ? { retry: { limit: 0 } } : {}),
			});
		} catch (error) {
			const queueable = error instanceof OutboxHold || (call.signal?.aborted !== true && classify(error).transient);
			if (!queueable || !call.request || secret(call.request.url)) {
				throw error;
			}

			return enqueue(call, call.request, snapshot, error, key);
		}
	};

	const layer: Layer = (next) => (request, init) => {
		const state = init?.steadfetch;
		const waiting = state && tracked.get(state);
		// Nothing to hold and nothing pending to trigger: the common case costs no promise of its own.
		return !waiting && !queue.hasPending() ? next(request, init) : held(next, request, init, waiting);
	};

	const held = async (next: FetchLike, request: Request, init: FetchInit | undefined, waiting: ReadonlySet<string> | undefined): Promise<Response> => {
		const state = init?.steadfetch;
		if (state && waiting && !secret(request.url)) {
			const reason = isOffline() ? 'OFFLINE' : state.attempts === 1 && waiting.has(context.scopeOf(request.url)) ? 'BEHIND' : undefined;
			if (reason) {
				// Held before any I/O; the breaker, below this layer, never sees the attempt.
				throw new OutboxHold(reason);
			}
		}

		const response = await next(request, init);
		if (response.ok && !drainer.draining && queue.hasPending()) {
			const scope = context.scopeOf(request.url);
			if (queue.hasPending(scope)) {
				void drainer.trigger({ force: scope, unpause: scope });
			}
		}

		return response;
	};

	return { appliesTo, wrap, layer };
};

/** The `Idempotency-Key` the caller put on the request itself (per-call headers or a Request input), if any. */
const callerKey = ({ input, options }: PolicyCall): string | undefined =>
	new Headers(options['headers'] as HeadersInit | undefined).get('idempotency-key') ?? (input instanceof Request ? input.headers.get('idempotency-key') : null) ?? undefined;

const statusOf = (error: unknown): { status?: number } => {
	const status = (error as { response?: { status?: unknown } }).response?.status;
	return typeof status === 'number' ? { status } : {};
};
