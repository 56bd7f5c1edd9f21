// auth() with one module-level client: the token is module state (what a Worker keeps between
// requests), and refresh() asks the URL the latest request named (`refresh=`) with plain fetch.
import { createClient } from 'steadfetch/core';
import { auth } from 'steadfetch/auth';

let token = 'stale';
let refreshes = 0;
let refreshUrl;
const api = createClient({
	retry: 0,
	auth: auth({
		origins: '*',
		token: () => token,
		refresh: async () => {
			refreshes++;
			const response = await fetch(refreshUrl, { method: 'POST' });
			token = (await response.json()).token;
		},
	}),
});

/**
 * `GET /get?to=<url>&refresh=<url>[&race=<ms>][&ctx=with|closure]`: `api.get(to)`, answered
 * `{ status, body }` or `{ error, message }`; with `race`, the request ends after `race` ms whether
 * the call settled or not (`{ ended: true }`), leaving what it started behind. `ctx=with`: through
 * `api.withContext(ctx)`; `ctx=closure`: with a per-call `waitUntil` of its own (a new closure over
 * `ctx.waitUntil`, as the core makes of a per-call `waitUntil`). `GET /state`: `{ token, refreshes }`;
 * `GET /stale`: the token becomes stale again. `GET /three?to=<url>`: three `api.withContext(ctx).get(to)`
 * at once in this request: their statuses. `GET /three-helper?to=<url>`: the same through a helper that
 * calls `api.withContext(ctx)` for each call.
 */
export default {
	async fetch(request, _env, ctx) {
		const url = new URL(request.url);
		refreshUrl = url.searchParams.get('refresh') ?? refreshUrl;
		switch (url.pathname) {
			case '/state':
				return Response.json({ token, refreshes });
			case '/stale':
				token = 'stale';
				return Response.json({ token });
			case '/three': {
				const here = api.withContext(ctx);
				const to = url.searchParams.get('to');
				return Response.json(await Promise.all([1, 2, 3].map(async () => (await here.get(to)).status)));
			}

			case '/three-helper': {
				const to = url.searchParams.get('to');
				return Response.json(await Promise.all([1, 2, 3].map(async () => (await api.withContext(ctx).get(to)).status)));
			}

			case '/get': {
				const mode = url.searchParams.get('ctx');
				const client = mode === 'with' ? api.withContext(ctx) : api;
				const options = mode === 'closure' ? { waitUntil: (promise) => ctx.waitUntil(promise) } : {};
				const call = client.get(url.searchParams.get('to'), options).then(
					async (response) => ({ status: response.status, body: await response.text() }),
					(error) => ({ error: error.name, message: String(error.message) }),
				);
				const race = url.searchParams.get('race');
				let timer;
				const answer = race === null ? await call : await Promise.race([call, new Promise((resolve) => {
					timer = setTimeout(() => resolve({ ended: true }), Number(race));
				})]);
				clearTimeout(timer);
				return Response.json(answer);
			}

			default:
				return new Response('unknown', { status: 404 });
		}
	},
};
