/** `Cache-Control` read (RFC 9111 §5.2): the one parser, which copy-plan.ts decides from. */
/** The last header parsed and its directives: an API tends to send one `Cache-Control` on every answer (a pure function's memo, no I/O). */
let last: [string | null, ReadonlyMap<string, string>] = [null, new Map()];

/** `Cache-Control` directives by lower-case name, the first occurrence winning (RFC 9111 §4.2.1); quotes removed. None without the header (`null`, as `Headers` answers, or `undefined`). */
export const directives = (given: string | null | undefined): ReadonlyMap<string, string> => {
	const header = given ?? null; // A request's `Headers` answers null, a response's headers read into a Map undefined: one memo.
	if (header !== last[0]) {
		const found = new Map<string, string>();
		for (const [, name = '', value = ''] of header?.matchAll(/([^\s=,]+)(?:\s*=\s*("[^"]*"|[^,]*))?/g) ?? []) {
			if (!found.has(name.toLowerCase())) {
				found.set(name.toLowerCase(), value.trim().replaceAll('"', ''));
			}
		}

		last = [header, found];
	}

	return last[1];
};

/** A delta-seconds value (RFC 9111 §1.2.2), or undefined when absent or invalid. */
export const seconds = (value: string | null | undefined): number | undefined =>
	value && /^\d+$/.test(value) ? Math.min(Number(value), 2 ** 31) : undefined;
