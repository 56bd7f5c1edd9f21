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

/** A transport that fails as an offline device's fetch does until `state.up`, then records each request's URL in `sent` and answers 201 `{"ok":true}`. */
export const refusedUntilUp = () => {
	const state = { up: false };
	const sent: string[] = [];
	const transport = async (input: RequestInfo | URL): Promise<Response> => {
		if (!state.up) {
			throw new TypeError('Failed to fetch');
		}

		sent.push((input as Request).url);
		return Response.json({ ok: true }, { status: 201 });
	};
	return { state, sent, transport };
};
