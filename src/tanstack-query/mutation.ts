import { HTTPError } from 'ky';
import { classify } from '../errors/classify.js';
import type { OutboxQueuedError } from '../errors/OutboxQueuedError.js';
import { bodyOf } from './body.js';
import { StaleAnswerError } from './stale-answer-error.js';
import { takes } from './takes.js';

/**
 * A mutation's result: sent (the server's answer, parsed as JSON; `undefined` for an answer without
 * a body, such as a 204 to a DELETE, and for none: a call a `beforeRetry` hook stopped with `ky.stop`),
 * or queued in the outbox and replayed later.
 */
export type Delivery<T> = { queued: false; data: T } | { queued: true; entryId: string };

/** What `mutationOptionsFor` returns: spread it into (or pass it as) `useMutation`'s options. */
export interface SteadfetchMutationOptions<T, V> {
	/** Sends the write: `{ queued: false, data }` (the answer, parsed as JSON by the call's `.json()`: ky's `parseJson`), or `{ queued: true, entryId }` when the outbox took it. */
	mutationFn: (variables: V) => Promise<Delivery<T>>;
	/** The outbox replays a queued write with its `Idempotency-Key`: TanStack must not send it again. */
	retry: false;
	/** Offline, the write goes to the persisted outbox, not to a TanStack pause in memory. */
	networkMode: 'always';
}

/**
 * A refused write's answer (one ky throws for: not ok, not opaque) as ky throws it: an `HTTPError`
 * with the answer, its `data` read as ky reads it (a body of a JSON content type parsed, by the call's
 * `.json()` when it has one, else the text; `undefined` when empty or not parsable, or not read within
 * 10 000 ms (ky's default `timeout`) and 10 MiB: a body that stalls or never ends never holds the mutation, its read
 * cancelled). A `Response` does not tell its
 * request's method: the error's `request` is a GET of the answer's URL and its message names the URL only.
 */
const refused = async (call: PromiseLike<Response> & { json?: () => Promise<unknown> }, response: Response): Promise<HTTPError> => {
	const error = new HTTPError(response, new Request(response.url || 'about:blank'), {} as HTTPError['options']);
	error.message = error.message.replace(': GET ', ': ');
	const reader = response.clone().body?.getReader();
	const chunks: Uint8Array[] = [];
	let size = 0;
	let timer: ReturnType<typeof setTimeout> | undefined;
	const read = async (): Promise<string | undefined> => {
		const { done, value } = await reader!.read();
		if (done) {
			return new Blob(chunks as BlobPart[]).text();
		}

		chunks.push(value);
		size += value.byteLength;
		return size > 10_485_760 ? undefined : read();
	};

	const body = reader && await Promise.race([read(), new Promise<undefined>((resolve) => {
		timer = setTimeout(resolve as () => void, 10_000);
	})]).catch(() => undefined);
	clearTimeout(timer);
	void reader?.cancel().catch(() => undefined);
	error.data = body && /json/i.test(response.headers.get('content-type') ?? '') ? await (async () => call.json ? call.json() : JSON.parse(body))().catch(() => undefined) : body || undefined;
	return error;
};

/**
 * Mutation options for a write through steadfetch's outbox: a write the outbox took (an
 * `OutboxQueuedError`, or the `202` of `queuedResponse: 'accepted'`) resolves
 * `{ queued: true, entryId }`, a success, not a failure; a write the server refused stays an error:
 * also when `send` resolves the refusal (a plain `fetch`, `throwHttpErrors: false`), a 4xx or 5xx
 * answer rejects with ky's `HTTPError` as a client call does (`response`, `data`; `classify()` gives
 * its status). A write the client's `fallback` answered (`isFallback(response)`: the origin never got it) is no
 * delivery either: it rejects with a `StaleAnswerError` (`reason: 'fallback'`, the fallback's data as `staleData`).
 * A `send` that is not a function is a `TypeError` at once; one that returns nothing (no call: a
 * forgotten `return`), or resolves neither a Response nor none (`.json()`'s data), rejects with a
 * `TypeError` naming the helper.
 *
 * @example useMutation(mutationOptionsFor((order: Order) => api.post('orders', { json: order })))
 */
export const mutationOptionsFor = <T, V>(send: (variables: V) => PromiseLike<Response>): SteadfetchMutationOptions<T, V> => {
	takes('mutationOptionsFor', send);
	return {
		async mutationFn(variables) {
			try {
				const call = send(variables);
				// No call at all (`(order) => { api.post(…) }`: no `return`) is the app's mistake, never a write told delivered.
				if (call == null) {
					throw new TypeError(`\`mutationOptionsFor\`'s send returned ${call}, not the call's promise`);
				}

				const response = await call;
				// A Response, or none (below); anything else (`.json()`'s data) is the app's mistake, named, never a TypeError reading it.
				if (response != null && typeof response.clone !== 'function') {
					throw new TypeError(`\`mutationOptionsFor\`'s send resolved ${typeof response}, not a Response`);
				}

				// The client's `fallback` answered a write that never reached the origin (no delivery, as the client says): not sent.
				if (response?.headers.get('cache-status') === 'steadfetch; fwd=miss; detail=fallback') {
					throw new StaleAnswerError(await bodyOf(call, response).catch(() => undefined), 0, 'fallback', undefined);
				}

				// None (a `beforeRetry` hook's `ky.stop` resolves the call `undefined`, as ky's does): sent, no data.
				const entryId = response?.headers.get('steadfetch-outbox-entry');
				if (response && !response.ok && response.type !== 'opaque') {
					throw await refused(call, response);
				}

				return response?.status === 202 && entryId ? { queued: true, entryId } : { queued: false, data: await bodyOf(call, response) as T };
			} catch (error) {
				if (classify(error).code === 'QUEUED') {
					return { queued: true, entryId: (error as OutboxQueuedError).entryId };
				}

				throw error;
			}
		},
		retry: false,
		networkMode: 'always',
	};
};
