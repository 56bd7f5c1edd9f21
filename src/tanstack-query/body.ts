/**
 * A call's answer parsed as JSON, `undefined` when it has no body (a 204 or 205, a HEAD, an empty
 * body) or there is none (a call `ky.stop` ended): `response.json()` would throw `SyntaxError:
 * Unexpected end of JSON input` for a write the server applied. Parsed by the call's own `.json()` when its promise has one (a steadfetch or ky
 * call: ky's `parseJson`, the call's or the client's, for a fresh answer and a stale copy alike),
 * else by `response.json()`. A body that is not JSON still throws.
 *
 * Empty or not is told by a copy's first bytes (the copy then cancelled), never by waiting for the
 * whole copy: the call's `.json()` reads the body within ky's `timeout` and rejects as it does (a body
 * that stalls is the call's `TimeoutError`, not a query pending for ever).
 */
export const bodyOf = async (call: PromiseLike<Response> & { json?: () => Promise<unknown> }, response: Response | undefined): Promise<unknown> => {
	const reader = response?.clone().body?.getReader();
	const bytes = async (): Promise<boolean> => {
		const { done, value } = await reader!.read();
		return !done && (value.byteLength > 0 || bytes());
	};

	// A copy that fails to read has bytes to tell of: the call's read tells the rest.
	const filled = reader && bytes().catch(() => true).finally(() => void reader.cancel().catch(() => undefined));
	if (!filled || !call.json) {
		return await filled ? response!.json() : undefined;
	}

	try {
		const data = await call.json();
		return await filled ? data : undefined;
	} catch (error) {
		// ky gave up reading (its `timeout`): the body did not end, the copy may never tell. Any other failure came after the body ended: the copy tells if it was empty.
		if ((error as Error | null)?.name === 'TimeoutError' || await filled) {
			throw error;
		}

		return undefined;
	}
};
