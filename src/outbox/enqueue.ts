import type { PolicyCall, RunOptions } from '../core/policy.js';
import { isOffline, parseRetryAfter } from '../core/runtime.js';
import type { FetchInit, FetchLike, Layer } from '../core/types.js';
import { classify } from '../errors/classify.js';
import { InvalidRequestError } from '../errors/InvalidRequestError.js';
import { OutboxFullError } from '../errors/OutboxFullError.js';
import { OutboxQueuedError } from '../errors/OutboxQueuedError.js';
import { isSteadfetchError, SteadfetchError } from '../errors/SteadfetchError.js';
import { identityDigest } from '../shared/digest.js';
import { background } from '../shared/part-store.js';
import { sensitiveOf } from '../shared/sensitive-of.js';
import { splitSensitive } from '../shared/sensitive.js';
import type { Drain } from './drain.js';
import { isRecord, makeKey, type OutboxRecord } from './record.js';
import { backoff, emitAbout, listKeys, splitHeaders, type Queue } from './queue.js';
import { snapshotBody, type BodySnapshot } from './snapshot.js';
import { registerSync } from './sync.js';

/**
 * The sequence number of an entry's key, after its creation time: one counter for every client
 * this module serves, so entries that clients of one name write within the same millisecond keep
 * the order they were written in.
 */
let sequence = 0;

/** Internal: what the layer throws, before any I/O, to stop an eligible call that must be queued instead. */
const holds = new WeakSet<object>();

/** Coalesced methods: a queued PUT or DELETE supersedes these. */
const overwritten = /^(PUT|PATCH|DELETE)$/;

/**
 * The call side of the outbox: `wrap` snapshots and checks an eligible call before any I/O, fixes its
 * Idempotency-Key, and stores it when it cannot be delivered; `layer` holds an eligible attempt that
 * must not go out (offline: `OFFLINE`; entries of its scope waiting: `BEHIND`, FIFO) and makes a good
 * answer of a scope with pending entries a drain trigger. Both ask the queue, which owns the state.
 */
export const createCallSide = (queue: Queue, drain: Drain) => {
	const { context, options, store } = queue;
	const { clock } = context;

	/** A URL with a sensitive query parameter is never stored: the call goes as with `outbox: false`. */
	const secret = (url: string): boolean => splitSensitive(url, sensitiveOf(context).params).found !== undefined;

	const appliesTo = ({ replay, options: { outbox }, method }: PolicyCall): boolean => !replay && (outbox === true || (outbox !== false && options.methods.has(method)));

	const enqueue = async (call: PolicyCall, request: Request, snapshot: BodySnapshot, error: unknown, idempotencyKey: string): Promise<Response> => {
		const now = clock.now();
		const { method, url } = request;
		const scope = context.scopeOf(url);
		const id = crypto.randomUUID();
		const { code } = holds.has(error as object) ? error as SteadfetchError : classify(error);
		const identity = call.identity === undefined ? undefined : await identityDigest(context.name, call.identity);
		const record: OutboxRecord = {
			v: 1, id, method, url, ...splitHeaders(queue, request.headers, snapshot.type), idempotencyKey, createdAt: now,
			attempts: isSteadfetchError(error) ? 0 : 1, nextAttemptAt: now, scope, version: options.version,
		};
		if (identity !== undefined) {
			record.identity = identity;
		}

		if (snapshot.body) {
			record.body = snapshot.body;
		}

		if (!holds.has(error as object)) {
			const status = (error as { response?: Response }).response?.status;
			record.lastError = { code, message: String(error), ...status && { status } };
			const retryAfter = parseRetryAfter((error as { response?: Response }).response?.headers.get('retry-after'), now);
			const wait = retryAfter ?? (error as { retryAfterMs?: number }).retryAfterMs ?? backoff(queue, 1);
			// A wait from outside (the server's Retry-After, the breaker's) never outlives the entry's retention.
			record.nextAttemptAt += Number.isFinite(wait) ? Math.min(Math.max(0, wait), options.retentionMs) : options.retentionMs;
			record.held = retryAfter !== undefined;
		}

		if (!record.preconditions && options.conditional && overwritten.test(method)) {
			// The stale cache's copy of this URL for this identity, if it has one (its documented hook).
			const validator = await Promise.resolve().then(async () => context.hooks.validatorOf?.(url, call.identity)).catch(() => undefined);
			const etag = validator?.etag;
			const precondition = etag && !etag.startsWith('W/') ? { 'if-match': etag } : validator?.lastModified ? { 'if-unmodified-since': validator.lastModified } : undefined;
			if (precondition) {
				record.preconditions = precondition;
			}
		}

		if (options.coalesce && (method === 'PUT' || method === 'DELETE')) {
			for (const key of await listKeys(queue)) {
				const old = !key.dead && key.scope === scope && !queue.inFlight.has(key.id) ? await store.get(key.key) : undefined;
				if (isRecord(old) && old.url === url && old.identity === identity && overwritten.test(old.method)) {
					await store.delete(key.key);
					emitAbout(queue, 'outbox:superseded', old);
				}
			}
		}

		await store.set(makeKey('p', now, sequence++, id, scope), record);
		queue.scopes.add(scope);
		emitAbout(queue, 'outbox:queued', record, { code });
		registerSync(context.name);
		if (record.nextAttemptAt > now) {
			drain.arm(record.nextAttemptAt);
		} else if (!isOffline()) {
			// Queued behind older entries of its scope: they may be due.
			background(context, 'outbox', call.waitUntil, async () => drain(undefined, call.waitUntil));
		}

		if (options.queuedResponse === 'accepted') {
			return new Response(JSON.stringify({ queued: true, entryId: id }), {
				status: 202, statusText: 'Accepted', headers: { 'content-type': 'application/json', 'steadfetch-outbox-entry': id },
			});
		}

		throw new OutboxQueuedError(id, { cause: error });
	};

	const wrap = async (call: PolicyCall, next: (extra?: RunOptions) => Promise<Response>): Promise<Response> => {
		if (!queue.started) {
			// Where no timer could start it (workerd), the first eligible call starts the drain.
			queue.started = true;
			background(context, 'outbox', call.waitUntil, async () => drain(undefined, call.waitUntil));
		}

		let key: string;
		try {
			key = call.idempotencyKey ?? new Headers(call.options['headers'] as HeadersInit).get('idempotency-key') ?? (call.input instanceof Request ? call.input.headers.get('idempotency-key') : null) ?? crypto.randomUUID();
		} catch (error) {
			throw new InvalidRequestError(`Invalid header: ${(error as Error).message}`, { cause: error });
		}

		const snapshot = await snapshotBody(call.input, call.options, options.maxBodyBytes, (call.options['stringifyJson'] ?? context.options['stringifyJson'] ?? JSON.stringify) as (value: unknown) => string);
		// The store is listed: an entry another tab or worker has just queued in this scope holds the call (FIFO).
		if ((await listKeys(queue)).filter((entry) => !entry.dead).length >= options.maxEntries) {
			throw new OutboxFullError(`The outbox is full (outbox.maxEntries): not sent`);
		}

		const { send } = snapshot;
		try {
			// The first attempt sends the bytes a replay will, with the entry's key; offline, the layer
			// below holds it without I/O, so ky need not copy the request for retries.
			return await next({
				headers: { 'idempotency-key': key, ...send && 'type' in send && { 'content-type': send.type } },
				...send && ('json' in send ? { stringifyJson: () => send.json } : { body: send.bytes }),
				...isOffline() && { retry: { limit: 0 } },
			});
		} catch (error) {
			if (!(holds.has(error as object) || (!call.signal?.aborted && classify(error).transient)) || !call.request || secret(call.request.url)) {
				throw error;
			}

			return enqueue(call, call.request, snapshot, error, key);
		}
	};

	const held = async (next: FetchLike, request: Request, init: FetchInit | undefined): Promise<Response> => {
		const call = init?.steadfetch;
		const scope = context.scopeOf(request.url);
		const offline = isOffline();
		if (call && appliesTo(call) && (offline || (call.attempts === 1 && queue.scopes.has(scope))) && !secret(request.url)) {
			// Held before any I/O; the breaker, below this layer, never sees the attempt.
			const reason = offline ? 'OFFLINE' : 'BEHIND';
			const hold = new SteadfetchError(reason, reason, false);
			holds.add(hold);
			throw hold;
		}

		const response = await next(request, init);
		if (response.ok && queue.scopes.has(scope) && !queue.running) {
			background(context, 'outbox', call?.waitUntil, async () => drain(scope, call?.waitUntil));
		}

		return response;
	};

	// Nothing pending and online, the common case: ky's attempt as is, no promise of ours.
	const layer: Layer = (next) => (request, init) => queue.scopes.size > 0 || isOffline() ? held(next, request, init) : next(request, init);

	return { appliesTo, wrap, layer };
};
