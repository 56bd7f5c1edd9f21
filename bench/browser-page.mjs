// The page script of the Chromium bench (bundled by browser.mjs with esbuild: steadfetch from the
// built dist/, workbox-background-sync from node_modules). Served by the bench origin, so the page,
// its API calls and the replays are same-origin: no CORS preflight for either library.
import { createClient, isStale, outbox } from 'steadfetch';
import { Queue } from 'workbox-background-sync';

// Workbox's Queue reads `self.registration` (a service worker's): in a page it is undefined and
// the constructor throws. An object without `sync` is what a browser without Background Sync
// gives a service worker: Workbox then skips sync registration. steadfetch reads the same global.
globalThis.registration ??= {};

// The outbox holds a call when `navigator.onLine` is false (no network attempt): switched here, in
// the page, so no `online` event fires and starts a drain behind the bench's back.
let online = true;
Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => online });

const origin = location.origin;
const settings = { timeout: 1000, retry: { limit: 2, delay: () => 20, jitter: false, retryOnTimeout: true } };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const payload = (index) => ({ index, text: 'x'.repeat(64), at: 1_700_000_000_000 + index });

let staleClient;
let storedCount = 0;
let staleEvents = 0;

globalThis.bench = {
	/** Phase 1 (origin up): fill the stale cache in IndexedDB; times the fresh answers. */
	async staleWarm({ urls, calls }) {
		staleClient = createClient({ ...settings, name: 'bench-stale', breaker: { openMs: 600_000, maxOpenMs: 600_000 } });
		staleClient.on('cache:stored', () => {
			storedCount++;
		});
		staleClient.on('cache:stale', () => {
			staleEvents++;
		});
		const durations = [];
		for (let index = 0; index < calls; index++) {
			const started = performance.now();
			await staleClient.get(`${origin}/item/${index % urls}`).json();
			durations.push(performance.now() - started);
		}

		for (let wait = 0; storedCount < urls && wait < 500; wait++) {
			await sleep(10);
		}

		return { durations, stored: storedCount };
	},

	/** Phase 2 (origin answers 503): open the breaker, then time stale answers read from IndexedDB. */
	async staleMeasure({ urls, calls }) {
		let opening = 0;
		while (staleClient.breaker(origin).state !== 'open' && opening < 50) {
			await staleClient.get(`${origin}/item/${opening % urls}`).catch(() => undefined);
			opening++;
		}

		const durations = [];
		const details = {};
		staleEvents = 0;
		for (let index = 0; index < calls; index++) {
			const started = performance.now();
			let detail;
			try {
				const response = await staleClient.get(`${origin}/item/${index % urls}`);
				await response.json();
				detail = isStale(response) ? /detail=([\w-]+)/.exec(response.headers.get('cache-status'))?.[1] : 'fresh';
			} catch (error) {
				detail = `error:${error.name}`;
			}

			durations.push(performance.now() - started);
			details[detail] = (details[detail] ?? 0) + 1;
		}

		return { durations, details, callsToOpen: opening, staleEvents, breaker: staleClient.breaker(origin).state };
	},

	/** steadfetch: enqueue `count` POSTs while offline, then drain them to `/mut/<queue>`. */
	async steadfetchOutbox({ count, queue, enqueueOnly = false }) {
		const api = createClient({ ...settings, name: `bench-outbox-${queue}`, outbox: outbox() });
		await api.outbox.flush(); // The start-up drain of an empty outbox, out of the way.
		online = false;
		const enqueue = [];
		let queued = 0;
		const started = performance.now();
		for (let index = 0; index < count; index++) {
			const at = performance.now();
			try {
				await api.post(`${origin}/mut/${queue}`, { json: payload(index) });
			} catch (error) {
				if (error.code !== 'QUEUED') {
					throw error;
				}

				queued++;
			}

			enqueue.push(performance.now() - at);
		}

		const enqueueMs = performance.now() - started;
		if (enqueueOnly) {
			api.close();
			online = true;
			return { enqueueMs };
		}

		const size = await api.outbox.size();
		online = true;
		const drainStarted = performance.now();
		let flushes = 0;
		let remaining = size;
		while (remaining > 0 && flushes < 20) {
			({ remaining } = await api.outbox.flush());
			flushes++;
		}

		const drainMs = performance.now() - drainStarted;
		api.close();
		return { enqueue, enqueueMs, queued, sizeAfterEnqueue: size, drainMs, remaining, flushes };
	},

	/** workbox-background-sync: `pushRequest` `count` POSTs, then `replayRequests()` to `/mut/<queue>`. */
	async workboxOutbox({ count, queue: name }) {
		// A no-op onSync: without it the constructor starts a replay at once (its fallback when there
		// is no Background Sync), which would race the pushes below.
		const queue = new Queue(name, { onSync: async () => undefined });
		const enqueue = [];
		const started = performance.now();
		for (let index = 0; index < count; index++) {
			const at = performance.now();
			await queue.pushRequest({
				request: new Request(`${origin}/mut/${name}`, {
					method: 'POST',
					headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
					body: JSON.stringify(payload(index)),
				}),
			});
			enqueue.push(performance.now() - at);
		}

		const enqueueMs = performance.now() - started;
		const size = await queue.size();
		const drainStarted = performance.now();
		await queue.replayRequests();
		const drainMs = performance.now() - drainStarted;
		return { enqueue, enqueueMs, queued: count, sizeAfterEnqueue: size, drainMs, remaining: await queue.size(), flushes: 1 };
	},
};
