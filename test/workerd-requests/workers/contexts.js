// Request contexts keyed by the request (API.md "Request contexts", issue 43). The clients are made by
// the first request, from env: ORIGIN (the upstream, the deadline client's own origin) and MIRROR
// (another origin, the same server). Each request says what to do:
//
// `GET /helper?path=<p>&n=<n>[&subrequests=<k>]`: n reads of ORIGIN + p at once, each through its own
//   `withContext(ctx, { subrequests })` (a helper that wraps every call), by a client that retries
//   (ky's 2) with no retry budget: `{ codes, subrequests, exhausted }` (`stats().subrequests` of the
//   last helper's client, the `budget:exhausted` events).
// `GET /two?path=<p>[&subrequests=<k>]`: three reads of ORIGIN + p through `withContext(ctx, …)` of one
//   client, then three through `withContext(ctx)` of a second client made apart: `{ first, second }`
//   (each one's `stats().subrequests`).
// `GET /late?path=<p>&subrequests=<k>`: one read of ORIGIN + p through a helper's `withContext(ctx)` (no
//   limit given: workerd's default, 50), then three through `withContext(ctx, { subrequests: k })` of the
//   second client: `{ count }` (the context's `stats().subrequests`).
// `GET /deadline?path=<p>`: one read by the deadline client (`deadlineHeader: 'request-timeout-ms'`,
//   `baseUrl: ORIGIN`, retries) through `withContext(ctx, { request })` of ORIGIN + p: `{ status,
//   redirected | code, message, ms }`. `&redirect=<mode>`: the call's own `redirect` mode; `&unbounded=1`: by a client with
//   `totalTimeout: false` (the deadline its only bound).
import { classify, createClient } from 'steadfetch/core';

let clients;

const make = (env) => ({
	one: createClient({ retry: 2, retryBudget: false, timeout: 5_000 }),
	other: createClient({ retry: 2, retryBudget: false, timeout: 5_000 }),
	bounded: createClient({ baseUrl: `${env.ORIGIN}/`, deadlineHeader: 'request-timeout-ms', retry: { limit: 2, backoffLimit: 100 }, retryBudget: false }),
	unbounded: createClient({ baseUrl: `${env.ORIGIN}/`, deadlineHeader: 'request-timeout-ms', totalTimeout: false, retryBudget: false }),
});

const outcome = async (promise) => promise.then(async (response) => ({ status: response.status, redirected: response.redirected, body: await response.text() }), (error) => ({ code: classify(error).code, message: String(error) }));

export default {
	async fetch(request, env, ctx) {
		try {
			return await handle(request, env, ctx);
		} catch (error) {
			return Response.json({ thrown: error.name, message: error.message }, { status: 500 });
		}
	},
};

const handle = async (request, env, ctx) => {
	clients ??= make(env);
	const url = new URL(request.url);
	const path = url.searchParams.get('path');
	const subrequests = url.searchParams.has('subrequests') ? Number(url.searchParams.get('subrequests')) : undefined;
	const options = subrequests === undefined ? {} : { subrequests };
	switch (url.pathname) {
		case '/helper': {
			const exhausted = [];
			const stop = clients.one.on('budget:exhausted', (event) => exhausted.push({ reason: event.reason, retries: event.retries, allowed: event.allowed }));
			let last;
			const codes = await Promise.all(Array.from({ length: Number(url.searchParams.get('n')) }, async () => {
				last = clients.one.withContext(ctx, options);
				return (await outcome(last.get(env.ORIGIN + path))).code ?? 'OK';
			}));
			stop();
			return Response.json({ codes, subrequests: last.stats().subrequests, exhausted });
		}

		case '/two': {
			const first = clients.one.withContext(ctx, options);
			for (let index = 0; index < 3; index++) {
				await outcome(first.get(env.ORIGIN + path));
			}

			const second = clients.other.withContext(ctx);
			for (let index = 0; index < 3; index++) {
				await outcome(second.get(env.ORIGIN + path));
			}

			return Response.json({ first: first.stats().subrequests, second: second.stats().subrequests });
		}

		case '/late': {
			await outcome(clients.one.withContext(ctx).get(env.ORIGIN + path));
			const app = clients.other.withContext(ctx, options);
			for (let index = 0; index < 3; index++) {
				await outcome(app.get(env.ORIGIN + path));
			}

			return Response.json({ count: app.stats().subrequests });
		}

		case '/deadline': {
			const started = Date.now();
			const api = clients[url.searchParams.has('unbounded') ? 'unbounded' : 'bounded'].withContext(ctx, { request });
			const mode = url.searchParams.get('redirect');
			const result = await outcome(api.get(path.slice(1), mode ? { redirect: mode, throwHttpErrors: false } : {}));
			return Response.json({ ...result, ms: Date.now() - started, subrequests: api.stats().subrequests });
		}

		default:
			return new Response('unknown', { status: 404 });
	}
};
