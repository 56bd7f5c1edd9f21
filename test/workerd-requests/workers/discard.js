// Responses steadfetch discards, many in one request (a Worker may have 6 connections open): made by
// the first request, from env ORIGIN (the upstream, whose failing answers have bodies that never end).
//
// `GET /hedges?n=<n>`: n reads one after another, each first answered by a hedge: its first attempt's
//   503 comes while the hedge is out, and loses to the hedge's 200.
// `GET /probes?n=<n>`: n calls: the first opens the breaker (10 ms), each later one, made once the last
//   probe re-opened it and that period is over, finds it half-open: its own probe (`breaker.probe`) goes,
//   answered 503, and it opens again.
// `GET /queue?n=<n>`: n writes the upstream cannot take now, queued.
// `GET /replays`: flush the outbox, whose replays are answered 201.
// `GET /last`: one more read, its body read: `{ status, body }`.
// `GET /leak?n=<n>`: without steadfetch, n answers left unread (the control: what a held body does).
import { classify, createClient } from 'steadfetch/core';
import { breaker } from 'steadfetch/breaker';
import { hedge } from 'steadfetch/hedge';
import { outbox } from 'steadfetch/outbox';

let clients;

const make = (env) => ({
	hedged: createClient({ retry: 0, hedge: hedge({ delayMs: 20 }) }),
	probed: createClient({ retry: 0, breaker: breaker({ consecutiveFailures: 1, openMs: 10, maxOpenMs: 10, probe: '/stream/probe', share: false }) }),
	queued: createClient({ name: 'discard', retry: 0, outbox: outbox({ queuedResponse: 'accepted' }) }),
	env,
});

const settle = async (promise) => promise.then(async (response) => response.status, (error) => classify(error).code);

export default {
	async fetch(request, env, ctx) {
		clients ??= make(env);
		const url = new URL(request.url);
		const n = Number(url.searchParams.get('n'));
		const { ORIGIN } = env;
		const outcomes = [];
		switch (url.pathname) {
			case '/hedges': {
				const api = clients.hedged.withContext(ctx);
				for (let index = 0; index < n; index++) {
					outcomes.push(await settle(api.get(`${ORIGIN}/race/${index}`).then(async (response) => {
						await response.text();
						return response;
					})));
				}

				break;
			}

			case '/probes': {
				const api = clients.probed.withContext(ctx);
				const pause = async (ms) => new Promise((resolve) => setTimeout(resolve, ms));
				let openedAt;
				for (let index = 0; index < n; index++) {
					// The last call's probe counted (the breaker opened again: a new openedAt; at most 2 s on a busy
					// machine), then its open period over: this call finds it half-open and sends a probe of its own.
					for (let wait = 0; wait < 400 && index > 0 && clients.probed.breaker(ORIGIN).openedAt === openedAt; wait++) {
						await pause(5);
					}

					({ openedAt } = clients.probed.breaker(ORIGIN));
					await pause(Math.max(0, (clients.probed.breaker(ORIGIN).reopensAt ?? 0) - Date.now()) + 5);
					outcomes.push(await settle(api.get(`${ORIGIN}/down/call-${index}`)));
				}

				// The probes run behind the calls that found the breaker half-open: until the last one is counted.
				for (let wait = 0; wait < 100 && clients.probed.breaker(ORIGIN).state !== 'open'; wait++) {
					await new Promise((resolve) => setTimeout(resolve, 10));
				}

				break;
			}

			case '/queue': {
				const api = clients.queued.withContext(ctx);
				for (let index = 0; index < n; index++) {
					outcomes.push(await settle(api.post(`${ORIGIN}/down/write-${index}`, { json: { index } })));
				}

				break;
			}

			case '/replays':
				outcomes.push(await clients.queued.withContext(ctx).outbox.flush());
				break;
			case '/leak':
				for (let index = 0; index < n; index++) {
					outcomes.push((await fetch(`${ORIGIN}/stream/leak-${index}`)).status);
				}

				break;
			case '/last': {
				const response = await fetch(`${ORIGIN}/small/last`);
				return Response.json({ status: response.status, body: await response.text() });
			}

			default:
				return new Response('unknown', { status: 404 });
		}

		// One more request in this context once the others were let go: it must still complete.
		const last = await fetch(`${ORIGIN}/small/after`);
		return Response.json({ outcomes, last: await last.text() });
	},
};
