/**
 * `steadfetch`: the mission preset. `createClient` where `breaker`, `staleCache` and `retryBudget`
 * take plain options, with defaults on as API.md states (breaker, retry budget and stale cache on);
 * `outbox` and every other slot take the policy their own factory makes (`outbox: outbox()`). A
 * program that fills no other slot carries none of their code: the outbox included.
 */
import { breaker } from '../breaker/index.js';
import { waitMs } from '../breaker/healthy.js';
import { staleCache } from '../cache/index.js';
import type { ClientOf } from '../core/client-types.js';
import type { BreakerMembers } from '../breaker/members.js';
import type { CacheMembers } from '../cache/members.js';
import type { OutboxMembers } from '../outbox/types.js';
import { assemble } from '../core/create-client.js';
import type { CoreClientOptions } from '../core/options.js';
import { isPolicy, type Policy } from '../core/policy.js';
import { originOf, scopeFor, scopeOfUrl } from '../core/scope.js';
import { checkOptionsObject } from '../core/validate-options.js';
import { InvalidRequestError } from '../errors/InvalidRequestError.js';
import { SteadfetchError } from '../errors/SteadfetchError.js';
import type { ClientOptions, PresetMembers } from './options.js';
import { builtInSlots, checkBuiltInSlots, checkEmptySlot } from './slots.js';
import { check, isOptions } from '../utils/validate.js';

export * from './common.js';
export type { ClientOptions } from './options.js';
export type { CoreClientOptions } from '../core/options.js';
export type { BreakerOptions } from '../breaker/options.js';
export type { CacheOptions } from '../cache/options.js';
export type { OutboxOptions } from '../outbox/options.js';
export { breaker } from '../breaker/index.js';
export { sharedCoordinator, type SharedBreaker, type SharedCoordinator } from '../breaker/shared.js';
export { staleCache, isStale } from '../cache/index.js';
export { outbox, outboxSyncHandler, type OutboxPolicy, type SyncEventLike, type ConflictResolution, type StoredEntry } from '../outbox/index.js';

/**
 * A slot the preset fills from plain options (on unless `false`), as the core takes it: a policy or `false`.
 * Anything else is a RangeError naming the forms the preset takes (`example`: one of its options), never
 * only the core's "a policy (from its entry)" nor the factory's "`breaker()` takes an options object".
 */
const fill = (slot: string, example: string, value: unknown, make: (options: object) => Policy): unknown => {
	if (value === false || isPolicy(value)) {
		return value;
	}

	check(value === undefined || value === true || isOptions(value), slot, value, `its options ({ ${example}, … }), true or false, or the policy ${slot}() makes`);
	return make(value === undefined || value === true ? {} : value as object);
};

/** How to turn the outbox on: said by the TypeError for `outbox: true` and by the preset's `client.outbox` when it is off. */
const useOutbox = "pass `outbox: outbox()` (import { outbox } from 'steadfetch')";

const resolve = (options: ClientOptions): CoreClientOptions => {
	const given: unknown = options.outbox;
	if (given !== undefined && given !== false && !isPolicy(given)) {
		// Queuing is a policy you import when you use it: the preset carries none of its code otherwise.
		throw new TypeError(`\`outbox\` takes the policy made by outbox(): ${useOutbox}`);
	}

	const resolved = {
		...options,
		breaker: fill('breaker', 'consecutiveFailures', options.breaker, breaker),
		// On even with the client's `cache: 'no-store'`, which it honours per call: a call's own `cache` mode overrides the client's.
		staleCache: fill('staleCache', 'maxStaleMs', options.staleCache, staleCache),
	} as CoreClientOptions;
	checkBuiltInSlots(resolved);
	return resolved;
};

/**
 * The preset's clients always have `breaker`, `waitForHealthy` and `cache` (closed and empty without
 * the policy), and an `outbox` that throws a clear error when the outbox is off.
 */
const standIns = (client: Partial<BreakerMembers & CacheMembers & OutboxMembers>, options: CoreClientOptions): void => {
	// Their URLs are checked as the policies' members check them: a URL no call could go to is an InvalidRequestError. The
	// scope is the client's own (an app policy's `scopeOf`, which names scopes too, as `breaker.scope` does), else the origin.
	const scopeOf = (client as { [scopeOfUrl]?: (url: string) => string })[scopeOfUrl] ?? originOf;
	const scope = (url: string | URL): string => scopeFor(url, scopeOf, options, scopeOf !== originOf);
	const checked = async (url: string | URL): Promise<void> => void scope(url);
	if (!client.breaker) {
		Object.defineProperty(client, 'breaker', {
			value: Object.assign((url: string | URL) => ({ scope: scope(url), state: 'closed', consecutiveFailures: 0 }), { isolate: async () => {
				throw new InvalidRequestError('The breaker is off: isolate() needs one');
			}, reset: checked }),
		});
		// Its options checked as the breaker's own are: bad ones reject, never read as healthy.
		(client as BreakerMembers).waitForHealthy = async (url, waitOptions) => {
			waitMs(waitOptions);
			scope(url);
		};
	}

	if (!client.cache) {
		Object.defineProperty(client, 'cache', { value: { delete: checked, clear: async () => undefined, list: async () => [] } });
	}

	if (!client.outbox) {
		Object.defineProperty(client, 'outbox', {
			get() {
				throw new SteadfetchError(`The outbox is off: ${useOutbox}`, 'OUTBOX_DISABLED', false);
			},
		});
	}
};

/**
 * A client of `steadfetch` made with options `O`: a ky instance (assignable to ky's `KyInstance`)
 * plus `breaker`, `waitForHealthy`, `cache`, and `outbox` when `O` fills the outbox slot
 * (`Client<{ outbox: OutboxPolicy }>`, `OutboxPolicy` being what `outbox()` returns).
 */
export type Client<O extends ClientOptions = ClientOptions> = ClientOf<ClientOptions, PresetMembers<O>>;

/**
 * Create a client. Every ky option works unchanged; see `ClientOptions` for the rest. Throws a
 * `TypeError` for anything but an options object (or nothing) and for an `outbox` that is not the
 * policy `outbox()` makes (`outbox: true`, plain options), a `RangeError` naming the option for a
 * value out of range.
 *
 * @example
 * const api = createClient({ prefix: 'https://api.example.com/v1/', timeout: 8_000 });
 * const user = await api.get('users/1').json();
 * // Writes kept offline and replayed: the outbox is a policy you import when you use it.
 * const queuing = createClient({ prefix: 'https://api.example.com/v1/', outbox: outbox() });
 */
export function createClient<const O extends ClientOptions = ClientOptions>(options?: O): Client<O> {
	checkOptionsObject(options);
	return assemble(options ?? {}, { resolve, finish: standIns, slots: builtInSlots, checkEmpty: checkEmptySlot }) as Client<O>;
}
