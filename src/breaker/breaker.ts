import type { BreakerHandle, BreakerParts } from '../core/client-types.js';
import type { WaitUntil } from '../core/options.js';
import type { PolicyCall, PolicyContext } from '../core/policy.js';
import { parseRetryAfter } from '../core/runtime.js';
import { requestOrigin, scopeFor } from '../core/scope.js';
import type { FetchInit, FetchLike, Layer } from '../core/types.js';
import { isNonNegativeFinite } from '../core/validate.js';
import { CircuitOpenError } from '../errors/CircuitOpenError.js';
import { classify, classifyStatus } from '../errors/classify.js';
import { InvalidRequestError } from '../errors/InvalidRequestError.js';
import { isSteadfetchError, SteadfetchError } from '../errors/SteadfetchError.js';
import { openChannel, type Channel } from '../shared/channel.js';
import { listen } from '../shared/listen.js';
import { tryLock, webLocks, type LockManagerLike } from '../shared/lock.js';
import { background, partStore, storageError } from '../shared/part-store.js';
import { isSuperseded } from '../shared/superseded.js';
import { scopes } from '../shared/scopes.js';
import { hasTabs } from '../shared/tabs.js';
import { autoStore } from '../stores/auto.js';
import { machine, PASS, PROBE, readRecord, type BreakerRecord, type Circuit } from './circuit.js';
import { resolve, type BreakerOptions } from './options.js';

const noop = (): void => undefined;
/** How early before the scope reopens an attempt waits for it instead of failing (ms; see `attempt`). */
const edgeMs = 16;

/**
 * The per-scope circuit breaker: a per-attempt layer (retries are counted too) over one `Circuit`
 * per scope. With `share` (default) a change of state is sent to the other tabs (BroadcastChannel)
 * and written to the client's store behind the call that caused it (`partStore`, `background`: the
 * call's `waitUntil`), so an open breaker survives a reload; the first calls to a scope read it back.
 * A half-open probe holds a Web Lock, so one goes out across tabs. With `shared`, a coordinator
 * decides across isolates (see `shared.ts`). Nothing runs at import or creation: `start()` opens the
 * channel. No promise is shared between calls (in a Worker they may belong to different requests).
 */
export function createBreaker(context: PolicyContext, options: BreakerOptions): BreakerParts {
	const settings = resolve(options, context.options['timeout']);
	const { clock, name } = context;
	const { maxOpenMs, probeTimeoutMs, halfOpenProbes } = settings;
	const { probe: own, isFailure } = options;
	const scopeOf = options.scope ?? requestOrigin;
	const store = options.share === false ? undefined : partStore(context, 'breaker', autoStore);
	let channel: Channel | undefined;
	let locks: LockManagerLike | undefined;
	/**
	 * The client's transport below the breaker: `breaker.probe` goes through it. The layer's first
	 * composition is the client's own (create-client composes it before any call); a call with a
	 * `fetch` of its own composes the layers again over that one, which no probe may use.
	 */
	let transport: FetchLike | undefined;
	/** Set by `close()`: no probe starts, and a pending `waitForHealthy` rejects at once (`wake`). */
	let closed = false;
	const wake = new Set<() => void>();
	/** The `waitUntil` of the call being counted: where the write of a change it causes goes. */
	let via: WaitUntil | undefined;

	const { circuit: make, admit, count, adopt, recover, isolate, reset, snapshot } = machine(settings, (circuit, change, reason) => {
		const { record } = circuit;
		const { scope } = record;
		(context.emit as (type: string, fields: object) => void)(`breaker:${change}`, { scope, reason, ...(change === 'open' && { reopensAt: record.reopensAt }) });
		if (store && change !== 'half-open' && reason !== 'shared' && reason !== 'restored') {
			publish(circuit);
		}
	}, context.random);
	/** Send the circuit's state to the other tabs and write it behind the call (`via`, its `waitUntil`). */
	const publish = (circuit: Circuit): void => {
		const { record } = circuit;
		channel?.post(record);
		background(context, 'breaker', via, async () => (circuit.saved = store!.set(record.scope, record)));
	};
	/**
	 * The scopes' circuits, at most `maxScopes` idle ones (`Scopes`): a closed circuit with no attempt
	 * being counted may be forgotten (its scope then starts closed again, its stored state read first
	 * as after a reload); an open, half-open or isolated one never is.
	 */
	const held = (circuit?: Circuit): boolean => !!circuit && (circuit.busy > 0 || circuit.record.state !== 'closed');
	const circuits = scopes(make, held);
	const shared = options.shared?.link(context, settings, options, adopt);
	const read = (value: unknown): BreakerRecord | undefined => readRecord(value, clock.now(), maxOpenMs);

	const circuitOf = (scope: string): Circuit => circuits.scope(scope);

	/**
	 * Read the scope's stored state and take it if it is newer (bounded by `storageTimeoutMs`, never
	 * rejects). A client that finds there an open state it did not know when it starts (`restored`: a
	 * reload) turns it half-open at once if attempts that got no HTTP answer opened it: its first call
	 * is the probe.
	 */
	const load = async (circuit: Circuit, reason: string): Promise<void> => {
		const { scope } = circuit.record;
		const value = await store!.get(scope);
		const record = read(value);
		circuit.read = true;
		if (record?.scope === scope) {
			adopt(circuit, record, reason);
			if (reason === 'restored' && circuit.record === record) {
				recover(circuit, clock.now(), reason);
			}
		} else if (value !== undefined) {
			storageError(context, 'breaker', 'decode', new TypeError('Not a breaker record'), scope);
		}
	};

	/** The scope's stored state, unless this client has read it (the first calls and `waitForHealthy`, after a reload). */
	const restore = (circuit: Circuit): Promise<void> | false | undefined => store && !circuit.read && load(circuit, 'restored');

	/**
	 * Count an outcome in its circuit (a 429 or 503 with Retry-After opens it for that long; a failure
	 * without `response` got no HTTP answer), and tell the coordinator.
	 */
	const tally = (circuit: Circuit, record: BreakerRecord, probe: number | undefined, failed: boolean | undefined, response?: Response, call?: PolicyCall): void => {
		const now = clock.now();
		const status = response?.status;
		const retryAfterMs = failed && (status === 429 || status === 503) ? parseRetryAfter(response!.headers.get('retry-after'), now) ?? 0 : 0;
		via = call?.waitUntil;
		count(circuit, record, now, failed, retryAfterMs, probe, !response);
		via = undefined;
		if (failed !== undefined) {
			shared?.report(circuit, failed, retryAfterMs, probe, call);
		}
	};

	/**
	 * Send one attempt and count its outcome once (`after` runs then). Whether it failed is
	 * `classify()`'s answer unless `isFailure` says otherwise; the caller's abort, a superseded attempt
	 * and steadfetch's own refusals count as nothing (see `BreakerOptions.isFailure`, on purpose).
	 */
	const send = (circuit: Circuit, probe: number | undefined, request: Request, init: FetchInit | undefined, next: FetchLike, after?: () => void): Promise<Response> => {
		const { record } = circuit;
		const call = init?.steadfetch;
		const { signal } = request;
		let done = false;
		circuit.busy++;
		const settle = (response?: Response, error?: unknown): void => {
			if (!done) {
				done = true;
				circuit.busy--;
				// The listener goes with the attempt: a signal that outlives it (the caller's, shared by many
				// calls) must not hold the attempt, its call and their input.
				signal.removeEventListener('abort', onAbort);
				tally(circuit, record, probe, !response && (call?.signal?.aborted || isSuperseded(error) || isSteadfetchError(error)) ? undefined
					: isFailure?.(response ? { response } : { error })
						?? (response ? !!classifyStatus(response.status)?.transient : signal.aborted || classify(error).transient || undefined), response, call);
				after?.();
			}
		};

		// ky gives up on a timed-out attempt before some runtimes (Deno, workerd) reject its aborted fetch,
		// and a transport may ignore its signal: an attempt counts at its abort, before ky's caller sees it.
		const onAbort = (): void => settle(undefined, signal.reason);
		signal.addEventListener('abort', onAbort);
		return next(request, init).then((response) => {
			settle(response);
			return response;
		}, (error: unknown) => {
			settle(undefined, error);
			throw error;
		});
	};

	/**
	 * Make the probe slot `admit` gave at `started` this context's: with a coordinator, its grant first
	 * (one probe in the world; an unreachable coordinator leaves it to this isolate); across tabs, one
	 * of the scope's Web Locks, and the stored state read again under it (another tab's probe may just
	 * have settled). Resolves with what to run once the probe is counted (the lock is given back once
	 * the new state is stored, so the next tab to take it reads that state instead of probing again),
	 * or `undefined`: not ours after all, the slot is freed.
	 */
	const claim = async (circuit: Circuit, started: number, call: PolicyCall | undefined): Promise<(() => void) | undefined> => {
		const { record } = circuit;
		let release = shared && (await shared.probe(circuit, call)) === false ? undefined : noop;
		if (release && locks) {
			release = undefined;
			// Slot by slot, on purpose: the first free one wins.
			for (let slot = 0; !release && slot < halfOpenProbes; slot++) {
				release = await tryLock(locks, `steadfetch:${name}:breaker:${record.scope}:${slot}`);
			}

			if (release && store) {
				await load(circuit, 'shared');
			}
		}

		if (release && circuit.record === record) {
			return () => void Promise.resolve(circuit.saved).then(release);
		}

		tally(circuit, record, started, undefined);
		release?.();
		return undefined;
	};

	/**
	 * `breaker.probe`'s own request: straight to the transport (no hooks, no retries), bounded by the
	 * probe timeout; any answer of 400 or more fails; its body is let go at once. A subrequest of the
	 * request context of the call that found the breaker half-open: none goes once it has none left.
	 */
	const probe = async (circuit: Circuit, started: number, call?: PolicyCall): Promise<void> => {
		const { record } = circuit;
		if (closed) {
			return tally(circuit, record, started, undefined); // none after close(): its slot is freed, nothing counted
		}

		const after = await claim(circuit, started, call);
		if (after) {
			let response: Response | undefined;
			let failed: boolean | undefined = true;
			try {
				const { scope } = record;
				const made = typeof own === 'string' ? new Request(new URL(own, scope.endsWith('/') ? scope : `${scope}/`)) : own!(scope);
				if (context.subrequest(call)) {
					response = await transport!(new Request(made, { signal: AbortSignal.any([made.signal, AbortSignal.timeout(probeTimeoutMs)]) }));
					void response.body?.cancel().catch(noop);
					failed = response.status >= 400;
				} else {
					failed = undefined; // The context has no subrequest left for it: no probe, the slot is freed.
				}
			} catch {
				// No request could be made, or no answer came: a failed probe.
			}

			tally(circuit, record, started, failed, response);
			after();
		}
	};

	// The hot path: a closed breaker costs a map lookup, a clock read, an abort listener, three closures and one promise per attempt.
	/**
	 * One attempt through the breaker. An attempt that comes at most `edgeMs` before the scope reopens
	 * waits for it once instead of failing: a timer can fire a few ms early against the clock, and ky's
	 * retry after the server's Retry-After (which opened the breaker for exactly as long) is the probe.
	 */
	const attempt = (circuit: Circuit, request: Request, init: FetchInit | undefined, next: FetchLike, waited?: boolean): Promise<Response> => {
		const now = clock.now();
		via = init?.steadfetch?.waitUntil;
		const verdict = admit(circuit, now);
		via = undefined;
		if (verdict === PASS) {
			return send(circuit, undefined, request, init, next);
		}

		if (verdict === PROBE) {
			if (own === undefined) {
				// The caller's request is the probe; a breaker that closed meanwhile lets it go.
				return claim(circuit, now, init?.steadfetch).then((after) => after ? send(circuit, now, request, init, next, after)
					: circuit.record.state === 'closed' ? attempt(circuit, request, init, next) : Promise.reject(new CircuitOpenError(circuit.record.scope, probeTimeoutMs)));
			}

			// `breaker.probe` goes instead, while the caller fails fast.
			probe(circuit, now, init?.steadfetch).catch(noop);
		}

		return !waited && verdict > 0 && verdict <= edgeMs
			? new Promise((resolve) => setTimeout(resolve, verdict)).then(() => attempt(circuit, request, init, next, true))
			: Promise.reject(new CircuitOpenError(circuit.record.scope, verdict === PROBE ? probeTimeoutMs : verdict));
	};

	const layer: Layer = (next) => {
		transport ??= next;
		return (request, init) => {
			const call = init?.steadfetch;
			if (call?.options['breaker'] === false) {
				return next(request, init);
			}

			const circuit = circuitOf(scopeOf(request.url));
			// The first calls to a scope wait for its stored state, each with a read of its own; with a
			// coordinator, the call that finds its state older than `sharedCacheMs` waits for a sync.
			const loading = restore(circuit);
			const syncing = shared?.fresh(circuit, call);
			return loading || syncing ? Promise.all([loading, syncing]).then(() => attempt(circuit, request, init, next)) : attempt(circuit, request, init, next);
		};
	};

	const circuitFor = (urlOrScope: string | URL): Circuit => circuitOf(scopeFor(urlOrScope, context.scopeOf, context.options, !!options.scope));

	/**
	 * `isolate` / `reset` by hand: resolves once the new state is stored (and the coordinator told), so
	 * a Worker that awaits it needs no `waitUntil`. Never rejects for a failing store (`storage:error`).
	 */
	const command = async (urlOrScope: string | URL, which: 'isolate' | 'reset'): Promise<void> => {
		const circuit = circuitFor(urlOrScope);
		let saved: unknown;
		via = (promise) => {
			saved = promise;
		};
		(which === 'isolate' ? isolate : reset)(circuit, clock.now());
		// A client that has not read the scope's stored state (after a reload) stores its reset even
		// where it changes nothing in memory: it ends a stored isolation or open period.
		if (store && !circuit.read && !saved) {
			publish(circuit);
		}

		circuit.read = true;
		via = undefined;
		await Promise.all([saved, shared?.command(circuit, which)]);
	};

	const breaker: BreakerHandle = Object.assign((urlOrOrigin: string | URL) => snapshot(circuitFor(urlOrOrigin), clock.now()), {
		isolate: (urlOrScope: string | URL) => command(urlOrScope, 'isolate'),
		reset: (urlOrScope: string | URL) => command(urlOrScope, 'reset'),
	});

	/** `ms` of real time, cut short by `close()`. */
	const pause = async (ms: number): Promise<void> => new Promise((resolve) => {
		const done = (): void => {
			clearTimeout(timer);
			wake.delete(done);
			resolve();
		};
		const timer = setTimeout(done, ms);
		wake.add(done);
	});

	const waitForHealthy = async (urlOrScope: string | URL, waitOptions?: { timeoutMs?: number }): Promise<void> => {
		const { timeoutMs = 30_000 } = waitOptions ?? {};
		if (!isNonNegativeFinite(timeoutMs)) {
			throw new InvalidRequestError(`\`timeoutMs\` must be a non-negative finite number of ms; got ${String(timeoutMs)}`);
		}

		const circuit = circuitFor(urlOrScope);
		const end = performance.now() + timeoutMs;
		// Like a first call, it reads the scope's stored state first (after a reload nothing may have
		// yet): bounded by `storageTimeoutMs`; a failing store leaves what this client knows.
		await restore(circuit);

		// Asked every 20 ms; with `breaker.probe`, nobody's call need come: the probe goes each time the
		// breaker lets one through (the injected clock may move on its own). `close()` wakes it at once.
		for (let left = 0; closed || circuit.record.state !== 'closed'; await pause(Math.min(left, 20))) {
			if (closed) {
				throw new SteadfetchError('The client is closed', 'CLIENT_CLOSED', false);
			}

			left = end - performance.now();
			if (left <= 0) {
				throw new SteadfetchError(`${circuit.record.scope} was not healthy within ${timeoutMs} ms`, 'TIMEOUT', true);
			}

			const now = clock.now();
			if (own !== undefined && admit(circuit, now) === PROBE) {
				probe(circuit, now).catch(noop);
			}
		}
	};

	/**
	 * A recovery trigger (`online`, the page visible again): every breaker open because of attempts that
	 * got no HTTP answer turns half-open at once (`recover`); with `breaker.probe`, its probe goes now.
	 */
	const recoverAll = (reason: string): void => {
		const now = clock.now();
		for (const [, circuit] of circuits.entries()) {
			if (recover(circuit, now, reason) && own !== undefined && !closed && admit(circuit, now) === PROBE) {
				probe(circuit, now).catch(noop);
			}
		}
	};

	/** What `start()` listens to, removed by `close()`. */
	let unlisten: Array<() => void> = [];

	return {
		layer,
		...(options.scope && { scopeOf: options.scope }),
		members: { breaker, waitForHealthy },
		stats: (scope) => ({ breaker: snapshot(circuits.get(scope) ?? make(scope), clock.now()) }),
		holds: (scope) => held(circuits.get(scope)),
		start() {
			if (options.share === true || (store && hasTabs())) {
				// A malformed message (any script of the origin can post one) is ignored and reported, once
				// per message, without its content (it may be large).
				channel = openChannel(`steadfetch:${name}:breaker`, (data) => {
					const record = read(data);
					if (record) {
						adopt(circuitOf(record.scope), record, 'shared');
					} else {
						storageError(context, 'breaker', 'channel', new TypeError('Ignored a malformed breaker record from another tab'));
					}
				});
				locks = webLocks();
			}

			const document_ = (globalThis as { document?: Document }).document;
			unlisten = [
				listen(globalThis, 'online', () => recoverAll('online')),
				listen(document_, 'visibilitychange', () => document_!.visibilityState === 'visible' && recoverAll('visible')),
			];
		},
		close() {
			closed = true;
			for (const off of unlisten.splice(0)) {
				off();
			}

			channel?.close();
			channel = undefined;
			for (const done of wake) {
				done();
			}
		},
		/**
		 * The learned state of every scope goes (in memory and in the store); a kill switch stays
		 * (`isolate()` is lifted by `reset()` only), and `clear({ identity })` leaves the breaker alone:
		 * its state belongs to an origin, not to a user. Rejects when the store does not list or
		 * confirm a delete.
		 */
		async clear(clearOptions) {
			if (clearOptions?.identity === undefined) {
				for (const [scope, circuit] of [...circuits.entries()]) {
					if (!circuit.record.isolated) {
						circuits.delete(scope);
					}
				}

				if (store) {
					// Record by record: a store the user shares with the cache or the outbox keeps theirs. An
					// isolation this client learned of meanwhile (its own, another tab's) is not deleted.
					await Promise.all((await store.keys(true)).map(async (key) => {
						const record = read(await store.get(key));
						return record?.scope === key && !record.isolated && !circuits.get(key)?.record.isolated && store.delete(key, true);
					}));
				}
			}
		},
	};
}
