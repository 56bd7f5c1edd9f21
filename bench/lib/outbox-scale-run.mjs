// One run of the outbox scale bench, the same in Node and in a page: `count` writes queued one after
// another while the API refuses connections, then drained once it is back. `setMode` switches the
// origin (in a page, the bench's Node side does it between the two calls: see `phase`).

/** Per-write ms of each tenth of `times` (the moment each write ended, from `start`). */
const tenths = (start, times) => {
	const size = times.length / 10;
	return Array.from({ length: 10 }, (_, tenth) => {
		const from = tenth === 0 ? start : times[Math.round(tenth * size) - 1];
		const to = times[Math.round((tenth + 1) * size) - 1];
		return Math.round(((to - from) / (Math.round((tenth + 1) * size) - Math.round(tenth * size))) * 100) / 100;
	});
};

let client;
let sentAt = [];
/** `storage:error` reports of the run, by operation (a listing past `storageTimeoutMs` shows here). */
let storageErrors = {};

/**
 * `phase: 'queue'`: make the client (the preset, `outbox({ maxEntries })` with room for `count`,
 * `extra` options) and queue `count` POSTs to `url`, each awaited; per-write ms by tenth.
 * `phase: 'drain'`: `flush()` until nothing is pending (or `deadlineMs` passed); per-write ms by
 * tenth of the `outbox:sent` events after the first (timed apart: it waits for the breaker's probe).
 */
export const scaleRun = async ({ createClient, outbox }, { phase, count, url, name, extra = {}, deadlineMs = 1_800_000 }) => {
	if (phase === 'queue') {
		client = createClient({ name, ...extra, outbox: outbox({ maxEntries: Math.max(1000, count) }) }); // The default maxEntries is 1,000.
		sentAt = [];
		client.on('outbox:sent', () => sentAt.push(performance.now()));
		storageErrors = {};
		client.on('storage:error', ({ operation }) => {
			storageErrors[operation] = (storageErrors[operation] ?? 0) + 1;
		});
		const ended = [];
		const outcomes = {};
		const start = performance.now();
		for (let index = 0; index < count; index++) {
			try {
				await client.post(url, { json: { index, text: 'x'.repeat(64) } });
				outcomes.sent = (outcomes.sent ?? 0) + 1;
			} catch (error) {
				outcomes[error.code ?? error.name] = (outcomes[error.code ?? error.name] ?? 0) + 1;
			}

			ended.push(performance.now());
			if ((index + 1) % (count / 10) === 0) {
				console.log(`${name}: queued ${index + 1} of ${count} in ${Math.round(ended.at(-1) - start)} ms`);
			}
		}

		// The first write tries the network (refused) before anything is queued: timed apart, the tenths count from its end.
		return {
			totalMs: Math.round(ended.at(-1) - start), firstWriteMs: Math.round((ended[0] - start) * 100) / 100,
			perWriteMs: tenths(ended[0], ended.slice(1)), outcomes, pending: await client.outbox.size(), storageErrors: { ...storageErrors },
		};
	}

	const start = performance.now();
	const deadline = start + deadlineMs;
	const pending = sentAt.length;
	while (sentAt.length - pending < count && performance.now() < deadline) {
		const { remaining } = await client.outbox.flush();
		if (remaining === 0) {
			break;
		}

		if (sentAt.length - pending < count) {
			await new Promise((resolve) => setTimeout(resolve, 50));
		}
	}

	// The first replay waits for the scope to be let through (the breaker, opened while the API refused, probes first): timed apart.
	const times = sentAt.slice(pending);
	return {
		totalMs: Math.round((times.at(-1) ?? start) - start), firstSentMs: Math.round(((times[0] ?? start) - start) * 100) / 100,
		perWriteMs: times.length >= 11 ? tenths(times[0], times.slice(1)) : [], sent: times.length, remaining: await client.outbox.size(),
		storageErrors: { ...storageErrors },
	};
};
