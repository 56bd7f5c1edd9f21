import { callKeys, clientKeys, type CoreClientOptions } from './options.js';
import { isPolicy, type PolicyBands, type PolicyCall, type PolicyContext, type PolicyParts } from './policy.js';
import type { Layer } from './types.js';
import { describe, isObject } from '../utils/validate.js';
import type { CallOptions } from './options.js';

/** A part's place when its policy gives it no band: inside every built-in (theirs lie in 100–900). */
const unbanded = 1_000;

/** A filled slot: its policy's parts, where they sit, and the slot's name (per call `{ [slot]: false }`). */
export interface Placed {
	readonly slot: string;
	readonly wrap: number;
	readonly layer: number;
	readonly parts: PolicyParts;
}

/**
 * The policy's parts that are functions: one that is no function would fail every call (or `clear()`,
 * `withContext()`) later, saying nothing of the policy (a `checkCall` as the caller's bad input), or be
 * ignored without a word (`settled`, `close`, `substituted`, `stats`).
 */
const functionParts = 'layer wrap checkCall appliesTo settled scopeOf start close clear substituted stats holds membersFor'.split(' ') as Array<keyof PolicyParts>;

/**
 * ky's options (and fetch's it hands on) that take an object (or any value) and are no slot: `retry` and `hooks`, and the
 * options a policy's value would pass as (the others are refused as that option: `timeout: breaker()` is no number of ms).
 */
const kyKeys = 'retry hooks headers json body searchParams context referrer integrity keepalive duplex dispatcher'.split(' ');

/** A band as given: a finite number, or absent (1 000); anything else is the policy's fault, named. */
const bandOf = (at: PolicyBands, which: 'wrap' | 'layer', slot: string): number => {
	const band = at[which];
	if (band === undefined) {
		return unbanded;
	}

	if (typeof band !== 'number' || !Number.isFinite(band)) {
		throw new TypeError(`The \`${slot}\` policy's \`at.${which}\` must be a finite number; got ${describe(band)}`);
	}

	return band;
};

/** Lower band outside; ties: the slot name that sorts first sits outside. */
export const byBand = (which: 'wrap' | 'layer') => (a: Placed, b: Placed): number =>
	a[which] - b[which] || (a.slot < b.slot ? -1 : a.slot > b.slot ? 1 : 0);

/** Close what was made, each once, whatever one of them throws (an `async close` that rejects too: handled). */
export const closeAll = (made: readonly PolicyParts[]): void => {
	for (const parts of made) {
		try {
			(parts.close?.() as unknown as Promise<unknown> | undefined)?.then?.(undefined, () => undefined);
		} catch {
			// A policy's fault stays its own: the others still close.
		}
	}
};

/**
 * Each filled slot's policy, created once with the client's context, in wrap order (outermost
 * first). Any option whose value is a policy fills the slot of its key; a policy under another key,
 * or under one of the client's own options (`fallback`, `retryBudget`), ky's (`retry`, `headers`, `json`) or the call's (`idempotencyKey`), is a `TypeError` naming them, and so is an `at` that is not an object or a band that is not a finite
 * number, a `create()` that returns no object (or a promise: an `async create`), and a part the client calls unguarded that is no
 * function (`wrap: 'x'`). A `create()` that throws is thrown, the parts already made closed.
 */
export const createParts = (options: CoreClientOptions, context: PolicyContext): Placed[] => {
	const placed: Placed[] = [];
	try {
		for (const [key, value] of Object.entries(options)) {
			if (!isPolicy(value)) {
				continue;
			}

			if (value.slot !== key) {
				throw new TypeError(`\`${key}\` takes a policy for the \`${key}\` slot; got one for \`${value.slot}\``);
			}

			// A slot is any key but the client's own options, ky's and the call's (those of another type are refused as that
			// option): a policy there would be read as the option too (per call `{ fallback: false }`, an answer), or keep it
			// from ky (a `json` slot sent every JSON body as '', a `headers` slot dropped the call's headers).
			if (clientKeys.includes(key) || callKeys.includes(key) || kyKeys.includes(key)) {
				throw new TypeError(`\`${key}\` is the client's own option, not a slot`);
			}

			// Only `undefined` is "not given" (API.md "Option values"): `at: null` is no object of bands.
			const at: unknown = value.at === undefined ? {} : value.at;
			if (!isObject(at)) {
				throw new TypeError(`The \`${key}\` policy's \`at\` must be an object of bands ({ wrap?, layer? }), not ${describe(at)}`);
			}

			const parts: unknown = value.create(context);
			if (typeof (parts as PromiseLike<unknown> | undefined)?.then === 'function') {
				// An `async create`: its parts would come after the client was made, none of them in place. Closed when they come.
				(parts as PromiseLike<unknown>).then((late) => closeAll(isObject(late) ? [late as PolicyParts] : []), () => undefined);
				throw new TypeError(`The \`${key}\` policy's create() must return its parts (an object); got a promise: create() runs synchronously`);
			}

			// What would fail later, at every call or never (a number's `layer` is none): found here, naming the slot.
			if (!isObject(parts)) {
				throw new TypeError(`The \`${key}\` policy's create() must return its parts (an object); got ${describe(parts)}`);
			}

			for (const name of functionParts) {
				const part = (parts as PolicyParts)[name];
				// `null` is no part, as the client reads it (`parts.wrap &&`, `part.start?.()`).
				if (part != null && typeof part !== 'function') {
					throw new TypeError(`The \`${key}\` policy's \`${name}\` is not a function`);
				}
			}

			placed.push({ slot: key, wrap: bandOf(at, 'wrap', key), layer: bandOf(at, 'layer', key), parts: parts as PolicyParts });
		}
	} catch (error) {
		closeAll(placed.map(({ parts }) => parts));
		throw error;
	}

	return placed.sort(byBand('wrap'));
};

/**
 * A part's verdict the client asks synchronously and has a default for (`substituted`, `holds`): one that throws, or
 * gives back a promise (an `async` part: a promise is truthy, and answers too late), gives none — `undefined`, the
 * default verdict — its rejection handled. A policy's fault stays its own: it never fails a call nor keeps a scope.
 */
export const verdict = <T>(ask: () => T): T | undefined => {
	try {
		const answer = ask();
		if (typeof (answer as PromiseLike<unknown> | undefined)?.then !== 'function') {
			return answer;
		}

		(answer as PromiseLike<unknown>).then(undefined, () => undefined);
	} catch {
		// No verdict.
	}

	return undefined;
};

/**
 * What a layer or a wrap of `slot` gave back, as a promise: a thenable of any kind taken as one, a
 * Response given back at once as a promise of it; anything else (a forgotten `return`, a plain value) a
 * TypeError naming the slot, thrown for the caller to reject its attempt (a layer) or its call (a wrap).
 */
export const promised = (value: unknown, slot: string, part: 'layer' | 'wrap'): Promise<Response> => {
	if (typeof (value as PromiseLike<unknown> | undefined)?.then !== 'function' && Object.prototype.toString.call(value) !== '[object Response]') {
		throw new TypeError(`The \`${slot}\` policy's \`${part}\` must return a promise or a Response`);
	}

	// A native promise is given back as it is, a thenable of another kind taken as one.
	return Promise.resolve(value as Response);
};

/**
 * A policy's layer, skipped for a call whose options say `{ [slot]: false }`. One that throws at
 * once rejects instead: the layer above chains what it gives back (a bulkhead slot, the breaker's
 * probe, a hedge's race) on the promise it gets, so a fault of the layer's fails that attempt only;
 * a Response given back at once is taken as a promise of it, and anything else that is no thenable (a
 * forgotten `return`, a plain value) fails that attempt with a TypeError naming the slot (`promised`). A
 * `layer(next)` that gives back no function is a TypeError naming the slot as the client composes it (`createClient`).
 */
export const switchable = ({ slot, parts }: Placed): Layer => (next) => {
	const inner = parts.layer!(next);
	if (typeof inner !== 'function') {
		// An `async layer(next)` that rejects: its rejection handled, as an `async create`'s is.
		(inner as Promise<unknown> | undefined)?.then?.(undefined, () => undefined);
		throw new TypeError(`The \`${slot}\` policy's \`layer\` must return a function`);
	}

	return (request, init) => {
		try {
			return promised((parts.ownSwitch || init?.steadfetch?.options[slot as keyof CallOptions] !== false ? inner : next)(request, init), slot, 'layer');
		} catch (error) {
			return Promise.reject(error);
		}
	};
};

/**
 * A part's answer the client needs at once (`checkCall`, `appliesTo`, `scopeOf`), given back as it is; one given back as a
 * promise (an `async` part: a promise is truthy, and answers after the call went out) is a TypeError naming the slot and
 * the member, thrown for the call to reject before any I/O, the promise's rejection handled.
 */
export const atOnce = <T>(answer: T, slot: string, member: string): T => {
	if (typeof (answer as PromiseLike<unknown> | undefined)?.then === 'function') {
		(answer as PromiseLike<unknown>).then(undefined, () => undefined);
		throw new TypeError(`The \`${slot}\` policy's ${member} returned a promise`);
	}

	return answer;
};

/**
 * Whether a policy's wrapper applies to `call`: as its `appliesTo` says (at once: `atOnce`), and not when the call's
 * options say `{ [slot]: false }`.
 */
export const wrapApplies = ({ slot, parts }: Placed, call: PolicyCall): boolean =>
	(parts.ownSwitch || call.options[slot as keyof CallOptions] !== false) && (!parts.appliesTo || atOnce(parts.appliesTo(call), slot, 'appliesTo'));
