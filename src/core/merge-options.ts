import ky, { type Options as KyOptions } from 'ky';
import { clientKeys } from './options.js';
import { isPolicy, slotOrder } from './policy.js';
import { checkOptionsObject } from './validate-options.js';
import { setOwn } from '../utils/validate.js';

/** The client's keys that are ours, not ky's (the slots' too). */
export const ours: ReadonlySet<string> = new Set<string>([...clientKeys, ...slotOrder]);

const isPlain = (value: unknown): value is Record<string, unknown> =>
	typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype && !isPolicy(value);

const split = (options: object): [Record<string, unknown>, Record<string, unknown>] => {
	const kyPart: Record<string, unknown> = {};
	const ourPart: Record<string, unknown> = {};
	for (const [key, value] of Object.entries(options)) {
		setOwn(ours.has(key) ? ourPart : kyPart, key, value);
	}

	return [kyPart, ourPart];
};

/**
 * `extend()`'s merge. ky's options merge exactly as ky merges them — by ky itself: the merged
 * defaults are read back through the function form of ky's own `extend`. Ours: plain option objects
 * of a slot or of `retryBudget` merge shallowly; anything else (a policy, `false`, a store) replaces.
 */
export const mergeOptions = <O extends object>(base: O, more: O): O => {
	checkOptionsObject(more);
	const [baseKy, baseOurs] = split(base);
	const [moreKy, moreOurs] = split(more);
	let merged: Record<string, unknown> = {};
	ky.create(baseKy as KyOptions).extend(moreKy as KyOptions).extend((defaults) => {
		merged = { ...defaults };
		return {};
	});

	for (const [key, value] of Object.entries(baseOurs)) {
		setOwn(merged, key, value);
	}

	for (const [key, value] of Object.entries(moreOurs)) {
		const previous = merged[key];
		setOwn(merged, key, isPlain(previous) && isPlain(value) ? { ...previous, ...value } : value);
	}

	return merged as O;
};
