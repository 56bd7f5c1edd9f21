/**
 * The headers worth storing, as lower-case name/value pairs: all but the names in `drop` (credentials,
 * what no longer describes a stored body, what is stored apart). `Headers` hands out lower-case names.
 */
export const storedHeaders = (headers: Headers, drop: ReadonlySet<string>): [string, string][] => {
	const list: [string, string][] = [];
	headers.forEach((value, name) => {
		if (!drop.has(name)) {
			list.push([name, value]);
		}
	});
	return list;
};
