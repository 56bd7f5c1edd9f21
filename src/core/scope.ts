/** The default scope of a URL: its origin (`https://api.example.com`). */
export const originOf = (url: string | URL): string => (typeof url === 'string' ? new URL(url) : url).origin;

/**
 * The origin of a `Request.url`: the text before the path. A Request's URL is already normalized
 * (lower-case scheme and host, no default port, no credentials, a path of at least `/`), so for
 * http(s) this equals `new URL(url).origin` without parsing (about 20× cheaper, on every attempt).
 * Anything else goes through the URL parser. Only for `Request.url`, never for user input.
 */
export const requestOrigin = (url: string): string => {
	const slash = url.startsWith('https://') ? url.indexOf('/', 8) : url.startsWith('http://') ? url.indexOf('/', 7) : -1;
	return slash === -1 ? originOf(url) : url.slice(0, slash);
};

/** The scope a public method names: a string without `://` is a scope itself, else a URL's scope. */
export const scopeFor = (urlOrScope: string | URL, scopeOf: (url: string) => string): string =>
	typeof urlOrScope === 'string' && !urlOrScope.includes('://') ? urlOrScope : scopeOf(String(urlOrScope));
