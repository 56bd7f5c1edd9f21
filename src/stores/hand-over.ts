/** Values handed over to a store, until the store takes them (see `markHandedOver`). Weak: nothing is kept alive by it. */
const handedOver = new WeakSet<object>();

/**
 * Mark `value` as handed over to the store it is written to next: made for the store, and neither
 * its writer nor anyone else changes it after (the stale cache's record of a response, its body
 * bytes read for it). A store that copies what it is given on the way in (the memory store, as
 * IndexedDB structured-clones) may keep such a value as it is (`taken`).
 */
export const markHandedOver = (value: object): void => {
	handedOver.add(value);
};

/**
 * Whether `value` was handed over (`markHandedOver`); it is taken by this call: asked again, `false`.
 * Anything else, a primitive too, is not in the set (`delete` answers `false` for it, never throws).
 */
export const taken = (value: unknown): boolean => handedOver.delete(value as object);
