/**
 * Source text for the Workers these tests run in workerd (miniflare): `answer(api, to, events, stop)`
 * makes one GET of `to` with the Worker's client and answers `{ result, events }` — the status, else
 * the error's code (an HTTPError's `HTTP_<status>`, else its name) — then calls `stop` (the test's
 * `storage:error` listener's unsubscribe). Put it at the top of a Worker's module text.
 */
export const answerSource = `
const answer = async (api, to, events, stop) => {
	try {
		const response = await api.get(to);
		await response.text();
		return Response.json({ result: String(response.status), events });
	} catch (error) {
		return Response.json({ result: error.code ?? (error.response ? 'HTTP_' + error.response.status : error.name), events });
	} finally {
		stop();
	}
};`;
