/**
 * The simulated API, served by msw's Service Worker inside the page:
 *
 * - `https://api.example.test` — `GET /items/:id` and `POST /items`; every fault control acts on it.
 *   `POST /items` applies a write once per `Idempotency-Key` (a repeated key gets the first answer
 *   again and is counted as a duplicate), like a server built for retries.
 *   `GET /notes/1` answers a note with `ETag: "v<version>"`; `PUT /notes/1` applies an edit once
 *   per `Idempotency-Key` when its `If-Match` names the current version, else 412 Precondition Failed.
 * - `https://cdn.example.test` — `GET /avatars/:id`, always healthy: a second origin, with its own
 *   breaker, that keeps working while the API is down.
 *
 * Both fail with a network error while the playground is offline. "Hang" makes the API take every
 * request and never answer it.
 */
import { delay, http, HttpResponse } from 'msw';
import { readSim, updateSim } from './sim.js';

export const apiOrigin = 'https://api.example.test';
export const cdnOrigin = 'https://cdn.example.test';

const names = ['Espresso', 'Flat white', 'Cortado', 'Lungo', 'Ristretto', 'Macchiato', 'Mocha', 'Affogato'];
const json = (body: unknown, init: ResponseInit = {}) => HttpResponse.json(body as never, {
	...init,
	headers: { 'cache-control': 'max-age=5', ...init.headers as Record<string, string> },
});

/** The faults of the API origin, applied before it answers; `undefined` lets the handler answer. */
const faults = async (): Promise<Response | undefined> => {
	const { online, faults: f } = readSim();
	if (!online || f.down) {
		return HttpResponse.error();
	}

	if (f.hang) {
		// Taken, never answered: the client gives up on it (its `timeout`) or answers without it.
		await delay('infinite');
	}

	if (f.latencyMs > 0) {
		await delay(f.latencyMs);
	}

	updateSim((state) => state.counters.requests++);
	if (f.rateLimit) {
		return json({ error: 'Too many requests' }, { status: 429, headers: { 'retry-after': String(f.retryAfterS) } });
	}

	if (f.errorRate > 0 && Math.random() * 100 < f.errorRate) {
		return json({ error: 'Service unavailable' }, { status: 503 });
	}

	return undefined;
};

export const handlers = [
	http.get(`${apiOrigin}/items/:id`, async ({ params }) => {
		const failed = await faults();
		if (failed) {
			return failed;
		}

		const id = Number(params['id']);
		return json({ id, name: names[(id - 1) % names.length] ?? `Item ${id}`, price: 2 + (id % 4) * 0.5, servedAt: new Date().toISOString() });
	}),

	http.post(`${apiOrigin}/items`, async ({ request }) => {
		const failed = await faults();
		if (failed) {
			return failed;
		}

		if (readSim().faults.rejectWrites) {
			return json({ error: 'The server refuses this write' }, { status: 422 });
		}

		const key = request.headers.get('idempotency-key');
		const body = await request.json().catch(() => ({})) as { name?: string };
		let id = 0;
		let duplicate = false;
		updateSim((state) => {
			const seen = key === null ? undefined : state.applied[key];
			if (seen === undefined) {
				state.counters.applied++;
				id = state.counters.applied;
				if (key !== null) {
					state.applied[key] = id;
				}
			} else {
				state.counters.duplicates++;
				id = seen;
				duplicate = true;
			}
		});
		return json({ id, name: body.name ?? 'Order', duplicate }, { status: duplicate ? 200 : 201 });
	}),

	http.get(`${apiOrigin}/notes/1`, async () => {
		const failed = await faults();
		const { note } = readSim();
		return failed ?? json({ text: note.text, version: note.version }, { headers: { etag: `"v${note.version}"` } });
	}),

	http.put(`${apiOrigin}/notes/1`, async ({ request }) => {
		const failed = await faults();
		if (failed) {
			return failed;
		}

		const key = request.headers.get('idempotency-key') ?? '';
		const { text } = await request.json().catch(() => ({})) as { text?: string };
		let status = 200;
		const state = updateSim((sim) => {
			if (sim.applied[key] !== undefined) {
				sim.counters.duplicates++;
			} else if (request.headers.get('if-match') !== `"v${sim.note.version}"`) {
				sim.note.conflicts++;
				status = 412;
			} else {
				sim.counters.applied++;
				sim.applied[key] = sim.note.version;
				sim.note = { ...sim.note, version: sim.note.version + 1, text: text ?? '' };
			}
		});
		const { note } = state;
		return json(status === 412 ? { error: 'The note changed meanwhile', version: note.version } : { text: note.text, version: note.version }, { status, headers: { etag: `"v${note.version}"` } });
	}),

	http.get(`${cdnOrigin}/avatars/:id`, async ({ params }) => {
		if (!readSim().online) {
			return HttpResponse.error();
		}

		updateSim((state) => state.counters.requests++);
		return json({ id: Number(params['id']), url: `${cdnOrigin}/avatars/${String(params['id'])}.png` });
	}),
];
