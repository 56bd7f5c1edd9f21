/**
 * Lists kept sorted by a string key (`keyOf`), searched by halving: the memory store's keys, the
 * outbox's pending entries; and the end of a prefix's key range.
 */

/** Where the item with `key` is, or would be inserted, in `items`. */
export const place = <T>(items: readonly T[], key: string, keyOf: (item: T) => string): number => {
	let low = 0;
	let high = items.length;
	while (low < high) {
		const middle = (low + high) >>> 1;
		if (keyOf(items[middle]!) < key) {
			low = middle + 1;
		} else {
			high = middle;
		}
	}

	return low;
};

/** Insert `item` in `items`, unless an item with its key is there: whether it was inserted. */
export const insert = <T>(items: T[], item: T, keyOf: (item: T) => string): boolean => {
	const key = keyOf(item);
	const at = place(items, key, keyOf);
	return !(at < items.length && keyOf(items[at]!) === key) && !!items.splice(at, 0, item);
};

/** Remove the item with `key` from `items`, if it is there: whether it was. */
export const remove = <T>(items: T[], key: string, keyOf: (item: T) => string): boolean => {
	const at = place(items, key, keyOf);
	return at < items.length && keyOf(items[at]!) === key && !!items.splice(at, 1);
};
/**
 * The first string after every string that starts with `prefix`: the open end of its key range; `undefined` when
 * none is (`''`, or only `\uffff`s: every string from `prefix` on starts with it). Trailing `\uffff`s go first:
 * the end of `'a\uffff'` is `'b'`.
 */
export const prefixEnd = (prefix: string): string | undefined => {
	const stem = prefix.replace(/\uffff+$/, '');
	return stem ? stem.slice(0, -1) + String.fromCharCode(stem.charCodeAt(stem.length - 1) + 1) : undefined;
};
