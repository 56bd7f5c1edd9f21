import type { PolicyContext } from '../core/policy.js';
import { isSuperseded } from '../shared/superseded.js';
import type { BreakerParts } from '../core/client-types.js';
import { breakerMembers } from './members.js';
import type { FetchInit, FetchLike, Layer } from '../core/types.js';
import { CircuitOpenError } from '../errors/CircuitOpenError.js';
import { send, type Settle } from './attempt.js';
import type { BreakerOptions } from './options.js';
import { isCircuitOpen, isFailureStatus, retryAfterMs } from './outcome.js';
import { resolvePolicy } from './resolve.js';
import { decodeRecord, recordOf } from './record.js';
import { requestOrigin } from '../core/scope.js';
import { createSharing, hasTabs, type Sharing } from './share.js';
import { BreakerStore, type Persisted } from './persist.js';
import { createProbes } from './probing.js';
import { snapshotOf } from './snapshot.js';
import type { Shared } from './shared.js';
import { Circuit, PASS, PROBE, type Change } from './state.js';

interface Entry extends Persisted {
	/** The first read of the stored state, while it is pending. */
	loading?: Promise<void> | undefined;
}

/**
 * The per-scope circuit breaker: a per-attempt layer (retries are counted too), fed by one
 * `Circuit` per scope. With `share` (default) the state is sent to the other tabs on every change
 * (BroadcastChannel), written to the client's store (so an open breaker survives a reload; read on
 * the first call to a scope, the only call that waits for storage), and a half-open probe holds a
 * Web Lock so only one goes out across tabs. Nothing runs at import or creation: `start()` opens
 * the channel.
 */
export function createBreaker(context: PolicyContext, options: BreakerOptions): BreakerParts {
	const policy = resolvePolicy(options, (context.options['timeout'] as number | false | undefined));
	const { clock } = context;
	const scopeOf = options.scope ?? requestOrigin;
	const userIsFailure = options.isFailure;
	const share = options.share !== false;
	const entries = new Map<string, Entry>();
	let sharing: Sharing | undefined;
	/** With `shared`: the coordinator of every isolate (Durable Objects, Deno KV). */
	const shared: Shared | undefined = options.shared?.link(context, policy, options.sharedCacheMs ?? 1000, options.sharedTimeoutMs ?? 100);
	/** The scope of each circuit, for what the coordinator is told. */
	const scopes = new WeakMap<object, string>();
	const persisted = new BreakerStore(context);
	/** The transport below the breaker (set when the layer is composed): `breaker.probe` sends through it. */
	let transport: FetchLike | undefined;

	const changed = (entry: Entry, change: Change, reason: string): void => {
		const { scope, circuit } = entry;
		(context.emit as (type: string, fields: object) => void)(`breaker:${change}`, change === 'open' ? { scope, reason, reopensAt: circuit.reopensAt } : { scope, reason });
		if (!share || change === 'half-open' || reason === 'shared' || reason === 'restored') {
			return;
		}

		const record = recordOf(circuit, scope);
		sharing?.post(record);
		persisted.save(entry, record);
	};

	const entryOf = (scope: string): Entry => {
		let entry = entries.get(scope);
		if (!entry) {
			const created: Entry = { scope, circuit: new Circuit(policy, (change, reason) => changed(created, change, reason)), saving: Promise.resolve() };
			entry = created;
			scopes.set(created.circuit, scope);
			entries.set(scope, entry);
			if (share) {
				created.loading = persisted.read(created, 'restored').then(() => {
					created.loading = undefined;
				});
			}
		}

		return entry;
	};

	const receive = (data: unknown): void => {
		const record = decodeRecord(data);
		if (record) {
			entryOf(record.scope).circuit.adopt(record, 'shared', clock.now());
		}
	};

	/** Count an attempt's outcome; the caller's abort and a CircuitOpenError only free a probe slot. */
	const settle: Settle = (circuit, gen, probe, init, response, error) => {
		if (!response && (init?.steadfetch?.signal?.aborted === true || isCircuitOpen(error) || isSuperseded(error))) {
			circuit.release(gen, probe);
			return;
		}

		const now = clock.now();
		const failed = userIsFailure?.(response ? { response } : { error }) ?? (response ? isFailureStatus(response.status) : true);
		const retryAfter = failed && response ? retryAfterMs(response, now) : 0;
		circuit.record(now, gen, failed, retryAfter, probe);
		const scope = shared ? scopes.get(circuit) : undefined;
		if (scope !== undefined) {
			const grant = probe === undefined ? undefined : grants.get(circuit);
			if (grant === undefined) {
				shared?.outcome(scope, circuit, failed, retryAfter);
			} else {
				grants.delete(circuit);
				shared?.probed(scope, circuit, grant, failed);
			}
		}
	};

	/** With `shared`: the coordinator's grant of the probe in flight, by circuit. */
	const grants = new WeakMap<object, number>();

	const { probe, probeAside, sharedProbe } = createProbes({
		policy, options, persisted, shared, grants, settle, clock,
		sharing: () => sharing,
		transport: () => transport,
		attempt: (entry, request, init, next) => attempt(entry as Entry, request, init, next),
	});

	// The hot path: a closed breaker costs a map lookup, a clock read, one small object and one promise per attempt.
	const attempt = (entry: Entry, request: Request, init: FetchInit | undefined, next: FetchLike): Promise<Response> => {
		const { circuit } = entry;
		const now = clock.now();
		const verdict = circuit.admit(now);
		if (verdict === PASS) {
			return send(settle, circuit, undefined, request, init, next);
		}

		if (verdict === PROBE && shared) {
			return sharedProbe(entry, now, request, init, next);
		}

		if (verdict === PROBE && options.probe !== undefined) {
			// The probe goes on its own; the caller fails fast (or is answered stale) meanwhile.
			probeAside(entry, now);
			return Promise.reject(new CircuitOpenError(entry.scope, policy.probeTimeoutMs));
		}

		return verdict === PROBE ? probe(entry, now, request, init, next) : Promise.reject(new CircuitOpenError(entry.scope, verdict));
	};

	const layer: Layer = (next) => {
		transport = next;
		return (request, init) => {
			if (init?.steadfetch?.options['breaker'] === false) {
				return next(request, init);
			}

			const entry = entryOf(scopeOf(request.url));
			// With `shared`, at most once per sharedCacheMs per scope: the coordinator's state first (bounded wait).
			const wait = shared ? shared.fresh(entry.scope, entry.circuit) : undefined;
			const ready = entry.loading && wait ? Promise.all([entry.loading, wait]) : entry.loading ?? wait;
			return ready ? ready.then(() => attempt(entry, request, init, next)) : attempt(entry, request, init, next);
		};
	};

	const circuits = {
		snapshot: (scope: string) => snapshotOf(entryOf(scope).circuit, scope, clock.now()),
		isolate(scope: string) {
			const { circuit } = entryOf(scope);
			circuit.isolate(clock.now());
			shared?.command(scope, circuit, 'isolate');
		},
		reset(scope: string) {
			const { circuit } = entryOf(scope);
			circuit.reset(clock.now());
			shared?.command(scope, circuit, 'reset');
		},
		...(options.probe === undefined ? {} : {
			probeNow(scope: string): number {
				const entry = entryOf(scope);
				const now = clock.now();
				const verdict = entry.loading ? 0 : entry.circuit.admit(now);
				if (verdict === PROBE) {
					probeAside(entry, now);
					return policy.probeTimeoutMs;
				}

				return Math.max(0, verdict);
			},
		}),
	};
	return {
		layer,
		...(options.scope ? { scopeOf: options.scope } : {}),
		members: breakerMembers(circuits, context),
		stats: (scope) => ({ breaker: circuits.snapshot(scope) }),
		start() {
			if (options.share === true || (share && hasTabs())) {
				sharing = createSharing(context.name, receive);
			}
		},
		close() {
			sharing?.close();
			sharing = undefined;
		},
		async clear() {
			entries.clear();
			await persisted.clear();
		},
	};
}
