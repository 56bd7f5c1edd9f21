/**
 * `url` (absolute) with `searchParams` added as ky 2 adds a call's `searchParams` to the call's URL:
 * a string appended after the URL's own query as written (its leading `?` dropped; one of only spaces
 * adds nothing); anything else (a record, `URLSearchParams`, pairs) pair by pair, a record's
 * `undefined` values not added and their names removed from the URL's own query. Shared by the
 * members that name a call's URL without making the call (`cache.delete`, `meta.steadfetchUrl`).
 */
export const withSearchParams = (url: string, searchParams: unknown): string => {
	const target = new URL(url);
	if (typeof searchParams === 'string') {
		const text = searchParams.replace(/^\?/, '');
		if (text.trim()) {
			target.search = target.search ? `${target.search}&${text}` : `?${text}`;
		}
	} else if (typeof searchParams === 'object' && searchParams) {
		const record = !Array.isArray(searchParams) && !(searchParams instanceof URLSearchParams);
		for (const [name, value] of record ? Object.entries(searchParams) : new URLSearchParams(searchParams as string[][])) {
			if (value === undefined) {
				target.searchParams.delete(name);
			} else {
				target.searchParams.append(name, String(value));
			}
		}
	}

	return target.href;
};
