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
/** The first string after every string that starts with `prefix` (`prefix` not empty): the open end of its key range. */
export const prefixEnd = (prefix: string): string => prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
