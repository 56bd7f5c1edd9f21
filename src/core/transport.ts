import { TimeoutError } from 'ky';
import { classify } from '../errors/classify.js';
import { originFailed, unanswered } from '../errors/origin-failed.js';
import { standIn } from '../errors/worker-copy.js';
import type { Call } from './call.js';
import type { Reach } from './reachability.js';
import { sentWith } from './follow.js';
import { sendWithDeadline } from './redirects.js';
import { asAttemptFailure, failedBody, refusedRedirect, watchedBody } from './server-failure.js';
import { refusedUrl } from './refused-url.js';
import type { FetchLike } from './types.js';
import type { WaitUntil } from './options.js';
import { deliveredBy, isDelivery } from './world.js';

/** The runtime's `fetch`, as it is when an attempt goes out (a client without its own `fetch`). */
export const platformFetch: FetchLike = (request, init) => globalThis.fetch(request, init);

/** What the transport does for calls with a deadline: send it along. */
export interface Bounds {
	/** Put the call's remaining time on an attempt (`deadlineHeader`), where it may go: the header's name when it did. */
	stamp(request: Request, deadline: number): string | undefined;
	/**
	 * The policies' hooks (`PolicyContext.hooks`): the trace slot's `redirected`, asked for each redirect hop followed here,
	 * and its `follows`, whether an attempt carries headers a redirect must not take to any origin (its redirects followed here).
	 */
	readonly hooks?: {
		readonly redirected?: ((call: Call | undefined, hop: Request, attempt: Request) => void) | undefined;
		readonly follows?: ((call: Call | undefined, attempt: Request) => boolean) | undefined;
	};
}

/**
 * The innermost layer, around the runtime's `fetch` (or the client's, or a call's): where an
 * attempt really goes out.
 *
 * - An attempt whose signal has aborted goes nowhere (ky calls a custom fetch even then), nor one its
 *   call's world refuses (`World.check`: its stored write was removed meanwhile); a hedge goes out
 *   only if its policy still wants it now (`FetchInit.hedge`). An attempt that goes out is told to the layers above
 *   (`FetchInit.sending`); the first of a call's attempts to go out counts toward the retry budget's first attempts (`Call.sending`).
 * - An attempt of a call of a request context (`withContext`) counts as one of its subrequests, and
 *   one that steadfetch adds goes out only while the context has some left (`Call.admit`); with
 *   `deadlineHeader`, one to the client's own origins carries the call's remaining time (`stamp`),
 *   and its redirects are followed here (`sendWithDeadline`): another origin never gets the header.
 * - Its outcome is the scope's reachability: an HTTP answer (any status; `scope:back` for the first
 *   that `classify()` does not call transient after failures; not a steadfetch service worker's answer in the origin's
 *   place: its refusal counts nothing, its `NETWORK` or `TIMEOUT` and its stale copy for them are misses, its `fallback` answer leaves the state) or a network failure or timeout (not
 *   the caller's abort, not an attempt a policy superseded, not an error of a custom `fetch` that is
 *   no network failure of the platform's: `classify()` calls it `UNKNOWN`). A refusal of the
 *   client's own (an open breaker, the throttle, a bulkhead or rate limit) never reaches here.
 * - workerd's plain `Error: Network connection lost.` is rethrown as the TypeError ky recognizes
 *   (its `NetworkError`), with the original as `cause`, a request Node's `fetch` refused as bad
 *   input (a header it does not take) as an `InvalidRequestError`, and one whose own body failed as
 *   Node's `fetch` read it (the app's stream errored) as that read's error (`asAttemptFailure`; not in the
 *   browser build, whose `fetch` never fails so), and so is an attempt whose stream body failed as the runtime read it
 *   (`failedBody`: the edge build's; workerd's `fetch` resolves then, Deno's rejects as for a network failure; a Request
 *   a ky hook gave, of a client (`hooked`) or call with hooks, is read so too: `watchedBody`); an attempt ky's timer aborted fails with ky's
 *   `TimeoutError`, so every layer above (trace, health, the breaker) calls it `TIMEOUT` as ky's
 *   caller will; one a layer aborted with a signal of its own (not following ky's: `Call.kySignal`) fails with what
 *   `fetch` failed with (an `AbortError`, `ABORTED`, or the layer's reason), no timeout nor the scope's failure. A failed attempt is noted on its call (`Call.failed`: the error behind a retry, for
 *   the layer above); nothing is noted or allocated for an attempt that answers.
 * - An attempt of a call with a method that is not safe (a POST, PUT, PATCH, DELETE…, an outbox
 *   replay too) answered below 400 is a delivered write: `delivered(method, url)` (`write:delivered`
 *   in every client and tab of the name) — unless the answer is a queued write's `202` from a
 *   service worker's outbox (`Steadfetch-Outbox-Entry`), which that worker tells once it delivers
 *   the write; `toldBy` is the `Steadfetch-Delivered` of a worker that delivered and told it
 *   (src/core/world.ts `deliveredBy`); `waitUntil`, the call's: what hears it hands its work to. A read costs one lookup.
 */
export const transportOf = (reach: Reach, scopeOf: (url: string) => string, bounds?: Bounds, delivered?: (method: string, url: string, toldBy: string | null, waitUntil: WaitUntil | undefined) => void, hooked?: boolean) => (fetch: FetchLike): FetchLike => (request, init) => {
	const call = init?.steadfetch as Call | undefined;
	// Work bound to what may be removed meanwhile (`World.check`: a write told "queued"), and a further attempt to its
	// identity (`Call.unbound`), are asked again here, after every layer's wait.
	const refused = request.signal.aborted ? request.signal.reason as unknown : call?.world.check?.() ?? call?.unbound() ?? (call?.admission ? call.admission.admit(request, init?.hedge, init?.steadfetchRun) : init?.hedge?.());
	if (refused) {
		return Promise.reject(refused);
	}

	init?.sending?.();
	call?.sending(init?.steadfetchRun, init?.hedge);
	// ky's signal for this attempt, read as it goes out: a retry ky makes after this attempt's timeout has a new one.
	const kys = call?.kySignal(init?.steadfetchRun);
	const answered = (response: Response): Response => {
		// A custom `fetch` that resolves no Response (a test's `vi.fn()`): said so, never a crash of whoever reads it next.
		if (!(response instanceof Response) && Object.prototype.toString.call(response) !== '[object Response]') {
			throw new TypeError(`\`fetch\` resolved no Response (got ${response === null ? null : typeof response})`);
		}

		// The call's stream body failed as workerd read it, which answers anyway (`failedBody`): the attempt fails with the read's error.
		const broken = call && failedBody(call.options);
		if (broken) {
			void response.body?.cancel().catch(() => {});
			return failed(broken);
		}

		// A redirect answered to an attempt whose `redirect: 'error'` the edge build sent as 'manual' (workerd's Request refuses
		// that mode: `sentRedirect`): fetch's network error for it, as Node's.
		const unexpected = refusedRedirect(response, init);
		if (unexpected) {
			void response.body?.cancel().catch(() => {});
			return failed(unexpected);
		}

		// The call's own Request (no layer replaced it): its scope is known already (the same `scopeOf`, `Call.attempt`).
		const scope = call && request === call.request ? call.scope! : scopeOf(request.url);
		// A steadfetch service worker's own answer for a call it failed or refused (`originFailed`): its `NETWORK` or `TIMEOUT`
		// is an attempt that got no answer of the origin's; a refusal of its client's own (`CIRCUIT_OPEN`…) says nothing of it.
		const worker = originFailed(response);
		// Its stale copy is none either (`worker` not `false` below 300): for a network failure or a timeout (`detail=network`,
		// `timeout`), a miss as its `503` would be; for any other reason the state stays, a copy shown (its next good answer is `scope:back`).
		if (worker && unanswered(response)) {
			reach.missed(scope);
		} else if (worker !== false && response.status < 300) {
			reach.late(scope);
		} else if (worker !== undefined) {
			reach.answered(scope, response.status);
		}

		// The worker's stale copy (not its `fallback` answer), or its `202` for a write its outbox queued, counts in the call's
		// `stats()` as a stale answer or a queued write of the page's own would (`standIn`).
		const counted = standIn(response, worker);
		if (counted) {
			call?.stoodIn(response, counted);
		}

		// A 202 that says "queued" (a service worker's outbox in front of this client) is no delivery: that worker tells it when it is.
		if (call && isDelivery(request.method, response)) {
			const toldBy = response.headers.get(deliveredBy);
			delivered?.(request.method, request.url, toldBy, call.waitUntil);
			// Redirected (`PUT /me` answered from `/users/42`): the URL it was finally sent to was written too.
			if (response.redirected && response.url && response.url !== request.url) {
				delivered?.(request.method, response.url, toldBy, call.waitUntil);
			}
		}

		return response;
	};

	const failed = (error: unknown): never => {
		const { signal } = request;
		// The call's stream body failed as the runtime read it (`failedBody`; Deno's `fetch` rejects then): the read's error.
		// An attempt whose own URL no `fetch` sends (a scheme, a port the Fetch standard blocks: `refusedUrl`), which the runtime
		// refused before any I/O with what reads as a network failure: bad input, in every build. Looked at only when an attempt
		// failed: nothing on one that answers (a custom `fetch` that sends it is taken at its word).
		// ky's timer (its `timeout`, `totalTimeout`) aborted the attempt when its own signal did: an abort of a signal a layer
		// gave the attempt (its own AbortController) is the layer's, failing with what `fetch` failed with (`ABORTED`, its reason).
		const failure = call && signal.aborted && !call.signal?.aborted && (signal.reason as Error | undefined)?.name !== 'Superseded' && kys?.aborted !== false ? new TimeoutError(request)
			: (call && failedBody(call.options)) || refusedUrl(request.url) || asAttemptFailure(error, request);
		if (call) {
			call.failed(failure, init?.steadfetchRun);
		}

		// An attempt the caller's own signal ended (its `AbortSignal.timeout()` too) says nothing of the scope: `ABORTED`.
		// Not a request dedupe shares whose first caller aborted while others wait on: its own signal says so.
		const { code } = classify(failure);
		if ((code === 'NETWORK' || code === 'TIMEOUT') && !(signal.aborted && call?.signal?.aborted)) {
			reach.missed(scopeOf(request.url));
		}

		throw failure;
	};

	let given = false;
	let sent: unknown;
	try {
		// A retry made to follow ky's abort is sent with its signal (`sentWith`: Node's build only).
		// A Request a ky hook may have given (the client or the call has hooks: `beforeRequest`, `beforeRetry`), its stream body
		// of the app's read as the call's own body is (the edge build's `watchedBody`: its failure the app's, not the network's).
		sent = sendWithDeadline(fetch, call && (hooked || call.options.hooks) ? watchedBody(request, call.options) : request, sentWith(request, init), call, bounds);
		given = true;
		return (sent as Promise<Response>).then(answered, failed);
	} catch (error) {
		// A `fetch` that throws at once (an app's own) fails as one that rejects, and one that gives back no promise is
		// taken as ky takes it (it awaits the value: a Response at once answers, a bare `vi.fn()`'s undefined is said so):
		// never a throw, so the layers above give back what they hold (a bulkhead slot, the breaker's probe).
		return (given ? Promise.resolve(sent as Response) : Promise.reject(error)).then(answered, failed);
	}
};
