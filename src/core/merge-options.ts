import ky, { type Options as KyOptions } from 'ky';
import { clientKeys } from './options.js';
import { isPolicy } from './policy.js';
import { checkChild, checkFetchOption, checkOptionsObject } from './validate-options.js';
import { given as defined, isObject, setOwn, unmarked } from '../utils/validate.js';


/** Plain options: an object literal, or one without a prototype (`Object.create(null)`, as some parsers give); never a policy. */
const isPlain = (value: unknown): value is Record<string, unknown> =>
	isObject(value) && [Object.prototype, null].includes(Object.getPrototypeOf(value)) && !isPolicy(value);

/** The client's options as ky's and ours: the core's keys and the `slots` (the entry's, and any key holding a policy: `mergeOptions`) are ours. */
const split = (options: object, slots: readonly string[]): [Record<string, unknown>, Record<string, unknown>] => {
	const kyPart: Record<string, unknown> = {};
	const ourPart: Record<string, unknown> = {};
	for (const [key, value] of Object.entries(options)) {
		setOwn(clientKeys.includes(key) || slots.includes(key) ? ourPart : kyPart, key, value);
	}

	return [kyPart, ourPart];
};

/**
 * `extend()`'s merge. ky's options merge exactly as ky merges them — by ky itself: the merged
 * defaults are read back through the function form of ky's own `extend`. Ours: plain option objects
 * of a slot or of `retryBudget` merge shallowly; lists (`sensitiveParams`, `sensitiveHeaders`) are
 * joined, as ky joins its lists: a child never drops a name its parent marks sensitive (its copies,
 * events and queued writes would show the value); anything else (a policy, `false`, a store) replaces.
 * One of ours given as `undefined` by the child is not given: the parent's value stays.
 */
export const mergeOptions = <O extends object>(base: O, given: O | undefined, slots: readonly string[]): O => {
	checkOptionsObject(given);
	// As ky's `extend()`: nothing given (or a function form that returns nothing) merges nothing.
	const more = given ?? {} as O;
	// A slot one side fills with a policy is ours on the other side too (its `false`, say).
	const filled = [...slots, ...[base, more].flatMap((side) => Object.keys(side).filter((key) => isPolicy((side as Record<string, unknown>)[key])))];
	const [baseKy, baseOurs] = split(base, filled);
	const [moreKy, moreOurs] = split(more, filled);
	let merged: Record<string, unknown> = {};
	// ky's merge builds the child's `headers` (as pairs too): one fetch refuses is said naming `headers`, without its value.
	checkFetchOption('headers', unmarked(moreKy.headers));
	ky.create(baseKy as KyOptions).extend(moreKy as KyOptions).extend((defaults) => {
		merged = { ...defaults };
		return {};
	});

	// ky's merged options hold none of our keys: the first side's take their place, the second's merge over them.
	// Ours given as `undefined` (at the top or in a plain slot object) are not given (API.md "Option values"):
	// the parent's value stays (`extend({ staleCache: undefined })` is `extend({})`).
	for (const [key, value] of [...Object.entries(baseOurs), ...Object.entries(defined(moreOurs))]) {
		const previous = merged[key];
		setOwn(merged, key, isPlain(previous) && isPlain(value) ? { ...previous, ...defined(value) } : Array.isArray(previous) && Array.isArray(value) ? [...previous, ...value] : value);
	}

	// The child's own ky options as given (validate-options.ts `checkChild`): its wrong hook list or query, merged, is none or text.
	checkChild(moreKy, merged);

	return merged as O;
};
