// The request handler every test Worker shares: one module-level client (`api`, or made by the
// first request when given a factory) serves every request; each request says what to do. Events
// are collected at module scope (state, not I/O) and read back by a later request (`/events`).
import { classify, isStale } from 'steadfetch';

/**
 * `GET /get?to=<url>`: `api.get(to)`, answered as JSON `{ status, stale, body }` or `{ error: code }`.
 * `GET /stream?to=<url>`: the same call, its body streamed through to the caller (`x-stale` header).
 * `POST /post?to=<url>&n=<n>`: `api.post(to, { json: { at: n } })`, answered `{ status, body }` or `{ error: code }`.
 * `GET /flush`: `api.outbox.flush()` (bounded at 5 s: `{ hung: true }` past that).
 * `GET /flush-detached`: `api.outbox.flush()` neither awaited nor handed to `waitUntil` (an app's
 *   mistake): the drain dies with this request.
 * `GET /flush-ctx`: `api.withContext(ctx).outbox.flush()`: the replays hand their background work to this request's waitUntil.
 * `scheduled`: `ctx.waitUntil(api.withContext(ctx).outbox.flush())`, the README's recipe for a Worker without other traffic.
 * `GET /dead-letters`: `api.outbox.deadLetters()`; `GET /retry?id=<id>`: `api.withContext(ctx).outbox.retry(id)`.
 * `GET /twice?to=<url>`: two identical `api.withContext(ctx).get(to)` at once in this request: both bodies.
 * `GET /twice-helper?to=<url>`: the same through a helper that calls `api.withContext(ctx)` per call.
 * `GET /race?to=<url>&ms=<ms>`: `api.get(to)`, but the request answers `{ left: true }` after `ms` if the
 *   call has not settled by then: the request ends with the call still in flight.
 * `GET /isolate?to=<url>` / `GET /reset?to=<url>`: `await api.withContext(ctx).breaker.isolate(to)` (or `reset`): `{ done: true }`.
 * `GET /events`: the events seen since the last `/events`; `GET /stats`: `api.stats()`.
 *
 * With `waitUntil: true`, every call hands its background work to the request's `ctx.waitUntil`
 * (the per-call `waitUntil` option of API.md "Request contexts"); with a function (the ambient
 * `waitUntil` of `cloudflare:workers`, one for every request of the isolate), every call passes it.
 */
export const handler = (client, { waitUntil = false } = {}) => {
	const events = [];
	let api;
	const listen = (made) => {
		made.on('*', (event) => {
			events.push({ type: event.type, url: event.url, ...(event.error ? { error: String(event.error) } : {}), ...(event.operation ? { operation: event.operation } : {}) });
		});
		return made;
	};

	// A factory (no `create` member, unlike a client): the client is made by the first request, from its env.
	if (client.create !== undefined) {
		api = listen(client);
	}

	return {
		scheduled(_controller, env, ctx) {
			api ??= listen(client(env));
			ctx.waitUntil(api.withContext(ctx).outbox.flush());
		},
		async fetch(request, env, ctx) {
			api ??= listen(client(env));
			const url = new URL(request.url);
			const to = url.searchParams.get('to');
			const options = typeof waitUntil === 'function' ? { waitUntil } : waitUntil ? { waitUntil: (promise) => ctx.waitUntil(promise) } : {};
			try {
				switch (url.pathname) {
					case '/get': {
						const response = await api.get(to, options);
						return Response.json({ status: response.status, stale: isStale(response), body: await response.text() });
					}

					case '/stream': {
						const response = await api.get(to, options);
						const headers = new Headers(response.headers);
						headers.set('x-stale', String(isStale(response)));
						return new Response(response.body, { status: response.status, headers });
					}

					case '/post': {
						const response = await api.post(to, { ...options, json: { at: url.searchParams.get('n') } });
						return Response.json({ status: response.status, body: await response.text() });
					}

					case '/flush': {
						let timer;
						const hung = new Promise((resolve) => {
							timer = setTimeout(() => resolve({ hung: true }), 5000);
						});
						const result = await Promise.race([api.outbox.flush(), hung]);
						clearTimeout(timer);
						return Response.json(result);
					}

					case '/flush-ctx':
						return Response.json(await api.withContext(ctx).outbox.flush());
					case '/flush-detached':
						void api.outbox.flush();
						return Response.json({ detached: true });
					case '/dead-letters':
						return Response.json(await api.outbox.deadLetters());
					case '/retry':
						await api.withContext(ctx).outbox.retry(url.searchParams.get('id'));
						return Response.json({ retried: true });
					case '/twice': {
						// Two identical calls at once within this request, through api.withContext(ctx).
						const here = api.withContext(ctx);
						const answers = await Promise.all([here.get(to), here.get(to)]);
						return Response.json(await Promise.all(answers.map(async (response) => response.text())));
					}

					case '/twice-helper': {
						// The same, through a helper that calls withContext(ctx) for each call: one request context all the same.
						const answers = await Promise.all([api.withContext(ctx).get(to), api.withContext(ctx).get(to)]);
						return Response.json(await Promise.all(answers.map(async (response) => response.text())));
					}

					case '/race': {
						let timer;
						const left = new Promise((resolve) => {
							timer = setTimeout(() => resolve({ left: true }), Number(url.searchParams.get('ms')));
						});
						const call = api.get(to, options).then(async (response) => ({ status: response.status, body: await response.text() }), (error) => ({ error: classify(error).code }));
						const result = await Promise.race([call, left]);
						clearTimeout(timer);
						return Response.json(result);
					}

					case '/isolate':
					case '/reset':
						// Awaited in this request: the state is stored before the answer, no waitUntil needed.
						await api.withContext(ctx).breaker[url.pathname.slice(1)](to);
						return Response.json({ done: true });

					case '/events':
						return Response.json(events.splice(0));
					case '/stats':
						return Response.json(api.stats());
					default:
						return new Response('unknown', { status: 404 });
				}
			} catch (error) {
				return Response.json({ error: classify(error).code, message: String(error) });
			}
		},
	};
};
