/**
 * A call's answer parsed as JSON, `undefined` when it has no body (a 204 or 205, a HEAD, an empty
 * body) or there is none (a call `ky.stop` ended): `response.json()` would throw `SyntaxError:
 * Unexpected end of JSON input` for a write the server applied. Parsed by the call's own `.json()` when its promise has one (a steadfetch or ky
 * call: ky's `parseJson`, the call's or the client's, for a fresh answer and a stale copy alike),
 * else by `response.json()`. A body that is not JSON still throws.
 */
export const bodyOf = async (call: PromiseLike<Response> & { json?: () => Promise<unknown> }, response: Response | undefined): Promise<unknown> =>
	await response?.clone().text() ? (call.json ? call.json() : response!.json()) : undefined;
