/**
 * A transport that records each request as one line in `state.sent` (method, URL, Content-Type unless
 * `contentType` is false, body) and answers `{"id":1}` as JSON; it fails as a dropped connection while `state.down`.
 */
export const recordingFetch = (state: { down: boolean; sent: string[] }, { contentType = true } = {}) => (async (request: Request) => {
	state.sent.push(`${request.method} ${request.url}${contentType ? ` ${request.headers.get('content-type')}` : ''} ${request.body ? await request.clone().text() : ''}`);
	if (state.down) {
		throw new TypeError('fetch failed');
	}

	return new Response('{"id":1}', { headers: { 'content-type': 'application/json' } });
}) as typeof fetch;

/** A transport down at first (it fails as a dropped connection while `state.down`) that counts its sends and answers `{}`; `state.failing` for a test's hook or layer to read. */
export const downAtFirst = () => {
	const state = { down: true, failing: false, sends: 0 };
	const fetch = (async () => {
		state.sends++;
		if (state.down) {
			throw new TypeError('fetch failed');
		}

		return new Response('{}');
	}) as typeof globalThis.fetch;
	return { state, fetch };
};
