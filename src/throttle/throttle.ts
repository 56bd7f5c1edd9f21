import type { PolicyContext, PolicyParts } from '../core/policy.js';
import type { FetchInit, FetchLike, Layer } from '../core/types.js';
import { classifyStatus } from '../errors/classify.js';
import { isSteadfetchError } from '../errors/SteadfetchError.js';
import { ThrottledError } from '../errors/ThrottledError.js';
import { openChannel, type Channel } from '../shared/channel.js';
import { storageError } from '../shared/part-store.js';
import { isSuperseded } from '../shared/superseded.js';
import { hasTabs } from '../shared/tabs.js';
import { BucketWindow } from '../shared/window.js';
import { isNonNegativeInteger } from '../core/validate.js';
import type { ThrottleSettings } from './index.js';

/** One scope's counts. */
interface Scope {
	readonly name: string;
	/** This client's attempts (counter 0) and accepts (counter 1). */
	readonly own: BucketWindow;
	/** What the other tabs of the client's name told, counted when it arrived. */
	readonly tabs: BucketWindow;
	/** Counted since the last message to the other tabs. */
	requests: number;
	accepts: number;
	/** When the last message to the other tabs went (epoch ms), and the timer of the next one. */
	told: number;
	timer: ReturnType<typeof setTimeout> | undefined;
	rejected: number;
}

/** The longest a tab waits to tell the others what it counted, in ms: one message per scope at most this often. */
const tellMs = 1000;
/** The most attempts another tab may tell of in one message (a second's worth): more is malformed. */
const maxTold = 100_000;
/** Scopes another tab's message may add (a tab learns a scope before its first call to it). */
const maxScopes = 64;

/**
 * The adaptive throttle (see `adaptiveThrottle`): a per-attempt layer above the bulkhead, the rate
 * limiter and the breaker. An attempt is counted when it ends: a refused one at once; one that was
 * sent as a request, and an accept when its answer is not a transient failure (`classifyStatus`);
 * the caller's abort, a superseded attempt (a hedge that lost) and a refusal of steadfetch's own
 * below it (a full bulkhead, a rate limit, an open breaker: no answer from the origin) as nothing.
 */
export const createThrottle = (context: PolicyContext, { k, windowMs, minRequests, maxRejectRatio, shared }: ThrottleSettings): PolicyParts => {
	const { clock } = context;
	const scopes = new Map<string, Scope>();
	const fleet = shared?.fleet(context, windowMs);
	let channel: Channel | undefined;

	const scopeOf = (name: string): Scope => {
		let scope = scopes.get(name);
		if (!scope) {
			scope = { name, own: new BucketWindow(windowMs), tabs: new BucketWindow(windowMs), requests: 0, accepts: 0, told: 0, timer: undefined, rejected: 0 };
			scopes.set(name, scope);
		}

		return scope;
	};

	/** The window's requests and accepts: this client's and its tabs', or the fleet's when it knows more. */
	const countsOf = (scope: Scope, now: number): [number, number] => {
		const [requests, accepts] = scope.own.sums(now);
		const [told, accepted] = scope.tabs.sums(now);
		const known = fleet?.counts(scope.name, now);
		return known && known[0] >= requests + told ? known : [requests + told, accepts + accepted];
	};

	const ratioOf = ([requests, accepts]: [number, number]): number =>
		requests < minRequests ? 0 : Math.min(maxRejectRatio, Math.max(0, (requests - k * accepts) / (requests + 1)));

	/** Send the counts of the last second to the other tabs: now, or when a second has passed since the last message. */
	const tell = (scope: Scope): void => {
		const send = (): void => {
			scope.timer = undefined;
			scope.told = Date.now();
			channel?.post({ scope: scope.name, requests: scope.requests, accepts: scope.accepts });
			scope.requests = 0;
			scope.accepts = 0;
		};

		const wait = scope.told + tellMs - Date.now();
		if (scope.timer === undefined) {
			if (wait <= 0) {
				send();
			} else {
				scope.timer = setTimeout(send, wait);
			}
		}
	};

	const count = (scope: Scope, accepted: boolean): void => {
		const now = clock.now();
		scope.own.add(now, 0);
		if (accepted) {
			scope.own.add(now, 1);
		}

		fleet?.add(scope.name, accepted);
		if (channel) {
			scope.requests++;
			scope.accepts += Number(accepted);
			tell(scope);
		}
	};

	const attempt = (scope: Scope, request: Request, init: FetchInit | undefined, next: FetchLike): Promise<Response> => {
		const rejectRatio = ratioOf(countsOf(scope, clock.now()));
		if (rejectRatio > 0 && context.random() < rejectRatio) {
			scope.rejected++;
			count(scope, false);
			context.emit('throttle:rejected', { scope: scope.name, method: request.method, url: request.url, rejectRatio });
			return Promise.reject(new ThrottledError(scope.name, rejectRatio));
		}

		return next(request, init).then((response) => {
			count(scope, !classifyStatus(response.status)?.transient);
			return response;
		}, (error: unknown) => {
			if (!init?.steadfetch?.signal?.aborted && !isSuperseded(error) && !isSuperseded(request.signal.reason) && !isSteadfetchError(error)) {
				count(scope, false);
			}

			throw error;
		});
	};

	const layer: Layer = (next) => (request, init) => {
		const { signal, url } = request;
		if (signal.aborted) {
			return Promise.reject(signal.reason);
		}

		// The scope of the URL the attempt goes to (a mirror's, when failover re-targeted it).
		const call = init?.steadfetch;
		const scope = scopeOf(call && url === call.request?.url ? call.scope! : context.scopeOf(url));
		const syncing = fleet?.sync(scope.name, call);
		return syncing ? syncing.then(() => attempt(scope, request, init, next)) : attempt(scope, request, init, next);
	};

	/**
	 * Another tab's counts, for a scope this client knows or a new one while it knows fewer than
	 * `maxScopes`; anything malformed is ignored and reported, without its content.
	 */
	const receive = (data: unknown): void => {
		const { scope, requests, accepts } = (data ?? {}) as Record<string, unknown>;
		if (typeof scope === 'string' && isNonNegativeInteger(requests) && requests <= maxTold && isNonNegativeInteger(accepts) && accepts <= requests) {
			const known = scopes.has(scope) || scopes.size < maxScopes ? scopeOf(scope) : undefined;
			const now = clock.now();
			known?.tabs.add(now, 0, requests);
			known?.tabs.add(now, 1, accepts);
		} else {
			storageError(context, 'throttle', 'channel', new TypeError('Ignored a malformed throttle message from another tab'));
		}
	};

	return {
		layer,
		stats(name) {
			const scope = scopes.get(name);
			if (!scope) {
				return undefined;
			}

			const counts = countsOf(scope, clock.now());
			return { throttle: { requests: counts[0], accepts: counts[1], rejectRatio: ratioOf(counts), rejected: scope.rejected } };
		},
		start() {
			if (hasTabs()) {
				channel = openChannel(`steadfetch:${context.name}:throttle`, receive);
			}
		},
		close() {
			channel?.close();
			channel = undefined;
			for (const scope of scopes.values()) {
				clearTimeout(scope.timer);
			}
		},
	};
};
