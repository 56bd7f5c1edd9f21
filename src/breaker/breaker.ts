import { breakerClock, type BreakerHandle, type BreakerParts } from './members.js';
import type { PolicyCall, PolicyContext } from '../core/policy.js';
import { attemptScope, requestOrigin } from '../core/scope.js';
import type { FetchInit, FetchLike, Layer } from '../core/types.js';
import { CircuitOpenError } from '../errors/CircuitOpenError.js';
import { untilClosed } from '../core/closing.js';
import { PASS, PROBE, type Circuit } from './circuit.js';
import { circuitFor, clear, command, createCircuits, held, known, noop, restore, send } from './circuits.js';
import { pause, waitForHealthy, type Gone } from './healthy.js';
import { claim, probe } from './probe.js';
import { close, start } from './tabs.js';
import { resolve, scopeAtOnce, type BreakerOptions } from './options.js';
import { offOnly } from '../utils/validate.js';
import { isHTTPError, type HTTPError } from 'ky';
import { serverDelay } from '../core/server-delay.js';
import { parseRetryAfter } from '../utils/runtime.js';

/** How early before the scope reopens an attempt waits for it instead of failing (ms; see `attempt`). */
const edgeMs = 16;

/**
 * `loading` (the scope's stored state, read within `storageTimeoutMs`), waited for until `signal` (the attempt's) aborts: the attempt
 * given up meanwhile goes no further at once, as a bulkhead's waiter does; the read goes on for the calls after it. Never rejects.
 */
const readOrAbort = (loading: Promise<unknown>, signal: AbortSignal): Promise<unknown> => new Promise((resolve) => {
	const done = (): void => {
		signal.removeEventListener('abort', done);
		resolve(undefined);
	};
	signal.addEventListener('abort', done);
	void loading.then(done, done);
});

/**
 * Fail fast: the scope is open, or half-open with its probes taken (`retryAfterMs`: until it may let a probe through). An
 * isolated scope (`isolate()`) lets none through until reset: its error says it is never retried (`retriable: false`: not by
 * ky, nor by `queryOptionsFor`'s TanStack `retry`, which would wait `maxOpenMs` for the same refusal).
 */
const refuse = ({ record }: Circuit, retryAfterMs: number): Promise<never> =>
	Promise.reject(Object.assign(new CircuitOpenError(record.scope, retryAfterMs), record.isolated && { retriable: false }));

/**
 * The per-scope circuit breaker: a per-attempt layer (retries are counted too) over one `Circuit`
 * per scope, kept with their store, tabs and coordinator in `Circuits` (circuits.ts; the probe in probe.ts, the
 * channel and the recovery triggers in tabs.ts). Nothing runs
 * at import or creation: `start()` opens the channel. No promise is shared between calls (in a
 * Worker they may belong to different requests).
 */
export function createBreaker(context: PolicyContext, options: BreakerOptions): BreakerParts {
	const settings = resolve(options, context.options.timeout);
	const { clock } = context;
	const { probeTimeoutMs } = settings;
	const own = options.probe;
	// The client's (`context.scopeOf`, sensitive query values removed) when the app gives one: the same on every path.
	const scopeOf = options.scope ? context.scopeOf : requestOrigin;
	const circuits = createCircuits(context, settings, options);
	const { admit, snapshot, scopes, link } = circuits;

	/** A wait of an attempt (its scope's stored state, the coordinator's answer or probe grant), cut short by `close()`. */
	const waiting = <T>(wait: Promise<T>): Promise<T> => untilClosed(wait, circuits.wake);

	/**
	 * An attempt's wait for an early probe: until `probing` settles or the scope's state changes, at most `ms` of real
	 * time; cut short by the attempt's `signal`, and by `close()` (`CLIENT_CLOSED`).
	 */
	const settled = (probing: Promise<unknown> | undefined, ms: number, signal: AbortSignal): Promise<void> => waiting(pause(circuits.paused, ms, signal, probing));

	// The hot path: a closed breaker costs a map lookup, a clock read, an abort listener, three closures and one promise per attempt
	// (where there are tabs, also one channel message per counted outcome: tabs.ts `shareCount`).
	/**
	 * One attempt through the breaker. An attempt that comes at most `edgeMs` before the scope reopens
	 * waits for it once instead of failing: a timer can fire a few ms early against the clock, and ky's
	 * retry after the server's Retry-After (which opened the breaker for exactly as long) is the probe.
	 */
	const attempt = (circuit: Circuit, request: Request, init: FetchInit | undefined, next: FetchLike, waited?: boolean | 'peer'): Promise<Response> => {
		const now = clock.now();
		const { signal } = request;
		const call = init?.steadfetch;
		// A caller's request that is the probe has the attempt timeout of its call (ky's `timeout`; `false`: `maxOpenMs`).
		const timeout = call?.options.timeout;
		const verdict = admit(circuit, now, call?.waitUntil, own !== undefined || timeout === undefined ? probeTimeoutMs : (timeout as number) || settings.maxOpenMs);
		if (verdict === PASS) {
			return send(circuits, circuit, undefined, request, init, next);
		}

		if (verdict === PROBE) {
			// After a wait for the probe: a breaker that closed meanwhile lets the attempt go; one given up meanwhile
			// (ky's timeout, a lost hedge) is neither sent nor counted; else it fails fast.
			const then = (): Promise<Response> => signal.aborted ? Promise.reject(signal.reason) : circuit.record.state === 'closed' ? attempt(circuit, request, init, next) : behind(circuit, request, init, next, waited) ?? refuse(circuit, probeTimeoutMs);
			if (own === undefined) {
				// The caller's request is the probe, once the slot is this context's (the coordinator's grant, a tab's lock).
				const probing = waiting(claim(circuits, circuit, now, call, signal)).then((after) => after ? send(circuits, circuit, now, request, init, next, after) : then());
				circuit.probing = probing.then(noop, noop); // not its response: the circuit does not hold it
				return probing;
			}

			// `breaker.probe` goes instead, while the caller fails fast; unless a recovery trigger let it through early
			// and sent none (a reload's: the stored state is read at the first call; also one that found the period
			// over, `early` its end), whose first call gets fresh data: it waits for the probe (bounded by the probe
			// timeout) and goes out once the probe closed the breaker.
			const early = circuit.record.early! >= circuit.record.reopensAt;
			const probing = probe(circuits, circuit, now, call);
			circuit.probing = probing;
			if (early) {
				return settled(probing, probeTimeoutMs, signal).then(then);
			}

			probing.catch(noop);
		}

		// A call of a reloaded page, or of the tab that got `online` or `visible`, while the early probe that let through is in
		// flight waits for it too (bounded by what is left of its probe timeout; ended early when this context's probe settles,
		// also when another tab took the slot), then goes out if it closed the breaker; other tabs' fail fast (API.md).
		const { record, probes } = circuit;
		if (!waited && verdict > 0 && probes.length && circuit.reloaded === record && record.early! >= record.reopensAt) {
			return settled(circuit.probing, verdict, signal).then(() => signal.aborted ? Promise.reject(signal.reason) : attempt(circuit, request, init, next, true));
		}

		return !waited && verdict > 0 && verdict <= edgeMs
			? new Promise((resolve) => setTimeout(resolve, verdict)).then(() => attempt(circuit, request, init, next, true))
			: (verdict > 0 && behind(circuit, request, init, next, waited)) || refuse(circuit, verdict === PROBE ? probeTimeoutMs : verdict);
	};

	/**
	 * An attempt that would fail fast while another client of this page (`extend()`) has the early probe in flight
	 * (also after a wait for this client's own claim, which that probe's lock refused): it waits for that probe as the
	 * calls of its own client do, and goes on once with the state it left (`Circuits.behind`); `undefined`: no such probe.
	 */
	const behind = (circuit: Circuit, request: Request, init: FetchInit | undefined, next: FetchLike, waited?: boolean | 'peer'): Promise<Response> | undefined => {
		const { signal } = request;
		return waited !== 'peer' ? circuits.behind?.(circuits, circuit, signal)?.then(() => signal.aborted ? Promise.reject(signal.reason) : attempt(circuit, request, init, next, 'peer')) : undefined;
	};

	// ky's retry after an answer (a 503 with a Retry-After past `maxRetryAfter`) that this breaker would refuse when it goes,
	// its scope open past ky's delay: not waited for (PolicyHooks.refusesRetry). `edgeMs`: an attempt that close waits.
	// Also a scope another tab opened meanwhile, that this one forgot past `maxScopes` (`known`): its retry would be refused too.
	context.hooks.refusesRetry = (call, url, error, timed) => {
		const record = call.options.breaker !== false && known(circuits, attemptScope(scopeOf, url, call))?.record;
		if (!isHTTPError(error) || !record || record.state !== 'open' || record.unanswered) {
			return false;
		}

		return !!record.isolated || record.reopensAt - clock.now() > kyDelay(error, timed) + edgeMs;
	};

	/**
	 * How long ky waits before its retry after `error`: what the answer's headers say, when it reads them (`timed`); else
	 * its own backoff, at most `backoffLimit` — none for a 429's or 503's Retry-After ky reads as no delay but this
	 * breaker read (one sent twice, `5, 5`, which opened the scope for that long): that backoff does not wait for it.
	 */
	const kyDelay = (error: HTTPError, timed: boolean): number => {
		const said = timed ? serverDelay(error) : undefined;
		if (said !== undefined) {
			return said;
		}

		const { status, headers } = error.response;
		return timed && (status === 429 || status === 503) && parseRetryAfter(headers.get('retry-after'), 0) !== undefined ? 0 : error.options.retry.backoffLimit;
	};

	const layer: Layer = (next) => {
		circuits.transport ??= next;
		return (request, init) => {
			const call = init?.steadfetch;
			if (call?.options.breaker === false) {
				return next(request, init);
			}

			// The call's scope, which the client took from this URL with this breaker's `scope` (the only part
			// that sets the client's `scopeOf`), unless a layer above changed the URL: not computed again.
			const circuit = scopes.scope(attemptScope(scopeOf, request.url, call));
			// The first calls to a scope wait for its stored state, each with a read of its own; with a
			// coordinator, the call that finds its state older than `sharedCacheMs` waits for a sync.
			// An attempt given up meanwhile (ky's timeout, its caller's abort: a call waits for a coordinator or a read never past
			// it) is rejected at its abort, neither sent nor counted;
			// one the client's `close()` finds waiting is refused at once (`CLIENT_CLOSED`), as a bulkhead's waiter is.
			// The circuit is held while it waits (`busy`: never forgotten meanwhile, 1 000 other scopes met): what the read or the
			// sync adopts, and the attempt's outcome, land on the scope's circuit, not on one it no longer keeps.
			const loading = restore(circuits, circuit);
			const syncing = link?.fresh(circuit, call, request.signal);
			if (!loading && !syncing) {
				return attempt(circuit, request, init, next);
			}

			circuit.busy++;
			return waiting(Promise.all([loading && readOrAbort(loading, request.signal), syncing])).then(() => {
				circuit.busy--;
				return request.signal.aborted ? Promise.reject(request.signal.reason) : attempt(circuit, request, init, next);
			}, (error: unknown) => {
				circuit.busy--;
				throw error;
			});
		};
	};

	/**
	 * The members, of the client or (`call`: one with only the request's `waitUntil`) of
	 * `withContext(ctx)`: there a command's coordinator call and a probe of `waitForHealthy` are
	 * subrequests of the context (counted; none once it has none left) and their background work is its.
	 */
	const membersOf = (call?: PolicyCall & Gone) => ({
		breaker: Object.assign((urlOrOrigin: string | URL) => snapshot(circuitFor(circuits, urlOrOrigin), clock.now()), {
			isolate: (urlOrScope: string | URL) => command(circuits, urlOrScope, 'isolate', call),
			reset: (urlOrScope: string | URL) => command(circuits, urlOrScope, 'reset', call),
			// No public name: the clock of `reopensAt` (queryOptionsFor's wait until it; members.ts `breakerClock`).
			[breakerClock]: clock,
		}) as BreakerHandle,
		waitForHealthy: (urlOrScope: string | URL, waitOptions?: { timeoutMs?: number }) => waitForHealthy(circuits, urlOrScope, waitOptions, call),
	});

	return {
		levels: { 'breaker:open': 'warn', 'breaker:half-open': 'info', 'breaker:closed': 'info' },
		layer,
		checkCall: offOnly('breaker'),
		...(options.scope && { scopeOf: scopeAtOnce(options.scope) }),
		members: membersOf(),
		// The request's client's `close()` ends its pending `waitForHealthy` as the client's does, never the client's (`Gone`).
		membersFor: (waitUntil, onClose) => {
			const call = { waitUntil } as PolicyCall & Gone;
			call.gone = new Promise((resolve) => onClose(() => {
				call.closed = true;
				resolve(undefined);
			}));
			return membersOf(call);
		},
		// A scope another tab opened and this one forgot (`known`) is shown open, and keeps its counters, as one remembered.
		stats: (scope) => ({ breaker: snapshot(known(circuits, scope) ?? circuits.circuit(scope), clock.now()) }),
		holds: (scope) => circuits.forgot.has(scope) || held(scopes.get(scope)),
		start: () => start(circuits),
		close: () => close(circuits),
		clear: (clearOptions) => clear(circuits, clearOptions),
	};
}
