import type { PolicyCall, RunOptions } from '../core/policy.js';
import { isOffline } from '../core/runtime.js';
import type { FetchInit, FetchLike, Layer } from '../core/types.js';
import { classify } from '../errors/classify.js';
import { InvalidRequestError } from '../errors/InvalidRequestError.js';
import { OutboxFullError } from '../errors/OutboxFullError.js';
import { OutboxQueuedError } from '../errors/OutboxQueuedError.js';
import { isSteadfetchError, SteadfetchError } from '../errors/SteadfetchError.js';
import { background, storageMs } from '../shared/part-store.js';
import type { Drain } from './drain.js';
import { isRecord, makeKey, type OutboxRecord } from './record.js';
import { behind, digestOf, emitAbout, listKeys, locked, pendingCount, schedule, secretUrl, splitHeaders, type Queue } from './queue.js';
import { snapshotBody, type BodySnapshot, type Stringify } from './snapshot.js';
import { registerSync } from './sync.js';
import { targetOf } from './target.js';

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
 * must not go out (offline: `OFFLINE`; entries of its scope this client would replay now waiting:
 * `BEHIND`, FIFO) and makes a good
 * answer of a scope with pending entries a drain trigger. Both ask the queue, which owns the state.
 */
export const createCallSide = (queue: Queue, drain: Drain) => {
	const { context, options, store } = queue;
	const { clock } = context;

	/** Whether the outbox takes calls like this one (method, `outbox` option), whatever their URL. */
	const eligible = ({ replay, options: { outbox }, method }: PolicyCall): boolean => !replay && (outbox === true || (outbox !== false && options.methods.has(method)));
	/**
	 * An eligible call, unless its URL carries a sensitive query parameter (a presigned upload): such a
	 * write is never stored, so it goes out as with `outbox: false` — decided before any body is read.
	 */
	const appliesTo = (call: PolicyCall): boolean => eligible(call) && !secretUrl(queue, targetOf(call, context.options)?.href ?? '');

	const enqueue = async (call: PolicyCall, request: Request, snapshot: BodySnapshot, error: unknown, idempotencyKey: string): Promise<Response> => {
		const now = clock.now();
		const { method, url } = request;
		const scope = context.scopeOf(url);
		const id = crypto.randomUUID();
		const { code } = holds.has(error as object) ? error as SteadfetchError : classify(error);
		const identity = await digestOf(queue, call.identity);
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
			schedule(queue, record, now, (error as { response?: Response }).response, error);
		}

		if (options.coalesce && (method === 'PUT' || method === 'DELETE')) {
			// Never an entry in flight: while this client's drain holds the lock, none it has claimed (its
			// pass claims an entry right after reading it, as this does); otherwise only under the lock (no
			// drain in any tab), waited for at most storageTimeoutMs, else nothing is superseded. In
			// workerd, no locks: this client's claims.
			const supersede = async (): Promise<void> => {
				await listKeys(queue);
				for (const key of queue.keys) {
					const old = key.scope === scope ? await store.get(key.key) : undefined;
					if (isRecord(old) && old.url === url && old.identity === identity && overwritten.test(old.method) && !queue.inFlight.has(key.id)) {
						queue.inFlight.add(key.id); // Claimed: never replayed by this client (checked with no await since the read).
						// Without a precondition of its own, the write was made on the version the oldest one with a precondition names.
						if (old.preconditions) {
							record.preconditions ??= old.preconditions;
						}

						await store.delete(key.key);
						emitAbout(queue, 'outbox:superseded', old);
					}
				}
			};
			await (queue.holding ? supersede() : locked(queue, supersede, AbortSignal.timeout(storageMs(context))).catch(() => undefined));
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

		const key = makeKey('p', now, sequence++, id, scope);
		await store.set(key, record);
		await listKeys(queue);
		emitAbout(queue, 'outbox:queued', record, { code });
		registerSync(context.name);
		if (record.nextAttemptAt > now) {
			drain.arm(record.nextAttemptAt);
		} else if (!isOffline()) {
			// Queued behind older entries of its scope: they may be due.
			background(context, 'outbox', call.waitUntil, async () => drain(undefined, call.waitUntil));
		}

		if (options.queuedResponse === 'accepted') {
			return Response.json({ queued: true, entryId: id }, { status: 202, statusText: 'Accepted', headers: { 'steadfetch-outbox-entry': id } });
		}

		throw new OutboxQueuedError(id, { cause: error });
	};

	const wrap = async (call: PolicyCall, next: (extra?: RunOptions) => Promise<Response>): Promise<Response> => {
		if (!queue.started) {
			// Where no timer could start it (workerd), the first eligible call starts the drain.
			queue.started = true;
			background(context, 'outbox', call.waitUntil, async () => drain(undefined, call.waitUntil));
		}

		const target = targetOf(call, context.options);
		if (!/^https?:$/.test(target?.protocol ?? '')) {
			throw new InvalidRequestError(`The outbox replays http and https only: not ${target ? target.protocol : 'an invalid URL'}`);
		}

		let key: string;
		try {
			key = call.idempotencyKey ?? new Headers(call.options['headers'] as HeadersInit).get('idempotency-key') ?? (call.input instanceof Request ? call.input.headers.get('idempotency-key') : null) ?? crypto.randomUUID();
		} catch (error) {
			throw new InvalidRequestError(`Invalid header: ${(error as Error).message}`, { cause: error });
		}

		// A body over maxBodyBytes, or a full outbox: the write goes out if it can, and fails with OutboxFullError if it must be stored.
		let full: OutboxFullError | undefined;
		const snapshot = await snapshotBody(call.input, call.options, options.maxBodyBytes, (call.options['stringifyJson'] ?? context.options['stringifyJson']) as Stringify | undefined).catch((error: unknown) => {
			if (!(error instanceof OutboxFullError)) {
				throw error;
			}

			full = error;
			return {} as BodySnapshot;
		});
		// The store is listed: an entry another tab or worker has just queued in this scope holds the call (FIFO).
		if (await pendingCount(queue) >= options.maxEntries) {
			full ??= new OutboxFullError('The outbox is full (outbox.maxEntries): not stored');
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
			if (!(holds.has(error as object) || (!call.signal?.aborted && classify(error).transient)) || !call.request || secretUrl(queue, call.request.url)) {
				throw error;
			}

			if (full) {
				throw new OutboxFullError(full.message, { cause: error });
			}

			return enqueue(call, call.request, snapshot, error, key);
		}
	};

	const held = async (next: FetchLike, request: Request, init: FetchInit | undefined): Promise<Response> => {
		const call = init?.steadfetch;
		const ticket = call?.replay ? queue.replays.get(call.idempotencyKey!) : undefined;
		if (ticket && !ticket.due()) {
			// A replay whose entry was removed, or belongs to another identity now: it does not go out.
			ticket.refused = true;
			throw new SteadfetchError('Replay withdrawn: its entry was removed or is another identity\'s', 'ABORTED', false);
		}

		const scope = context.scopeOf(request.url);
		const offline = isOffline();
		if (call && eligible(call) && (offline || (call.attempts === 1 && await behind(queue, scope))) && !secretUrl(queue, request.url)) {
			// Held before any I/O; the breaker, below this layer, never sees the attempt.
			const reason = offline ? 'OFFLINE' : 'BEHIND';
			const hold = new SteadfetchError(reason, reason, false);
			holds.add(hold);
			throw hold;
		}

		const response = await next(request, init);
		// A good answer to one of the app's calls (not a replay) drains its scope; a drain under way runs once more.
		if (response.ok && !call?.replay && await behind(queue, scope)) {
			background(context, 'outbox', call?.waitUntil, async () => drain(scope, call?.waitUntil));
		}

		return response;
	};

	// Nothing pending and online, the common case: ky's attempt as is, no promise of ours.
	const layer: Layer = (next) => (request, init) => queue.keys.length > 0 || queue.replays.size > 0 || isOffline() ? held(next, request, init) : next(request, init);

	return { appliesTo, wrap, layer };
};
