// A Worker within its limits (API.md "Request contexts", issue 37). The clients are made by the first
// request, from env: ORIGIN (the upstream, the clients' own origin) and MIRROR (another origin, the
// same server: failover's mirror). Each request says what to do:
//
// `GET /fanout?path=<p>&n=<n>[&subrequests=<k>]`: n reads of ORIGIN + p at once through one
//   `withContext(ctx, { subrequests })`, by a client that retries (ky's 2), hedges after 50 ms and
//   fails over to MIRROR, with no breaker and no retry budget (only the context bounds what it adds):
//   `{ codes, subrequests, exhausted }` (each call's outcome, `stats().subrequests`, the context's
//   `budget:exhausted` events).
// `GET /stale?path=<p>[&subrequests=<k>]`: one read through the stale cache's client (retries, no
//   budget): `{ status, cacheStatus, reasons, subrequests }`.
// `GET /deadline?path=<p>&mirror=1`: one read by the deadline client (`deadlineHeader:
//   'request-timeout-ms'`, `baseUrl: ORIGIN`, retries) through `withContext(ctx, { request })`: ORIGIN + p
//   (MIRROR + p with `mirror`): `{ status | code, ms }`.
// `GET /ended?path=<p>`: the request-end client (`withContext(ctx, { request })`): a read of ORIGIN + p,
//   then, once it settled, another of ORIGIN/ok/after-end; both outcomes kept (`GET /results`). The
//   work is handed to waitUntil, so it goes on once the caller is gone.
import { classify, createClient } from 'steadfetch/core';
import { staleCache } from 'steadfetch/cache';
import { failover } from 'steadfetch/failover';
import { hedge } from 'steadfetch/hedge';

let clients;
const results = [];

const make = (env) => ({
	spender: createClient({
		retry: 2, retryBudget: false, timeout: 5_000,
		hedge: hedge({ delayMs: 50 }), failover: failover({ mirrors: { [env.ORIGIN]: [env.MIRROR] } }),
	}),
	cached: createClient({ name: 'limits-cache', retry: 2, retryBudget: false, staleCache: staleCache() }),
	bounded: createClient({ baseUrl: `${env.ORIGIN}/`, deadlineHeader: 'request-timeout-ms', retry: { limit: 2, backoffLimit: 100 }, retryBudget: false }),
	plain: createClient({ retry: 0 }),
});

const outcome = async (promise) => promise.then(async (response) => ({ status: response.status, body: await response.text() }), (error) => ({ code: classify(error).code }));

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
			case '/fanout': {
				const api = clients.spender.withContext(ctx, options);
				const exhausted = [];
				const stop = clients.spender.on('budget:exhausted', (event) => exhausted.push({ reason: event.reason, retries: event.retries, allowed: event.allowed }));
				const codes = await Promise.all(Array.from({ length: Number(url.searchParams.get('n')) }, async () => (await outcome(api.get(env.ORIGIN + path))).code ?? 'OK'));
				stop();
				return Response.json({ codes, subrequests: api.stats().subrequests, exhausted });
			}

			case '/stale': {
				const api = clients.cached.withContext(ctx, options);
				const reasons = [];
				const stop = clients.cached.on('cache:stale', (event) => reasons.push(event.reason));
				const response = await api.get(env.ORIGIN + path).catch((error) => error.response);
				stop();
				return Response.json({ status: response?.status, cacheStatus: response?.headers.get('cache-status'), reasons, subrequests: api.stats().subrequests });
			}

			case '/deadline': {
				const started = Date.now();
				const api = clients.bounded.withContext(ctx, { request });
				const result = await outcome(api.get(url.searchParams.has('mirror') ? env.MIRROR + path : path.slice(1)));
				return Response.json({ ...result, ms: Date.now() - started });
			}

			case '/ended': {
				const api = clients.plain.withContext(ctx, { request });
				const work = (async () => {
					const first = await outcome(api.get(env.ORIGIN + path));
					const second = await outcome(api.get(`${env.ORIGIN}/ok/after-end`));
					results.push({ first: first.code ?? first.status, second: second.code ?? second.status, aborted: request.signal.aborted });
				})();
				ctx.waitUntil(work);
				await work;
				return new Response('done');
			}

			case '/results':
				return Response.json(results.splice(0));
			default:
				return new Response('unknown', { status: 404 });
		}
};
