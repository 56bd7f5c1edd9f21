/**
 * A call its caller's own signal ends — whatever the reason it aborts with: `AbortSignal.timeout()`'s
 * TimeoutError, a plain `Error`, the default AbortError — is `ABORTED` for every part that knows the call
 * (API.md Errors: "`ABORTED` (the caller's signal)", not the origin's failure; the guide: "Whether an
 * attempt failed because of the origin or the network is classify()'s answer everywhere"). Before, the
 * breaker and `stats()` said `ABORTED` while reachability counted `AbortSignal.timeout()` as a miss (two
 * made the scope `unreachable`) and `attempt:end` said `TIMEOUT` or `UNKNOWN`.
 */
import { describe, expect, it } from 'vitest';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { trace } from '../../src/entries/trace.js';

/** A fetch that never answers: only the request's signal ends it (ky hands it a Request). */
const hanging = (input: unknown): Promise<Response> => new Promise((_, reject) => {
	const { signal } = input as Request;
	signal.addEventListener('abort', () => reject(signal.reason as Error));
});

const signals: ReadonlyArray<[string, () => AbortSignal]> = [
	['AbortSignal.timeout()', () => AbortSignal.timeout(5)],
	['abort(new Error())', () => {
		const controller = new AbortController();
		setTimeout(() => controller.abort(new Error('navigated away')), 5);
		return controller.signal;
	}],
	['abort()', () => {
		const controller = new AbortController();
		setTimeout(() => controller.abort(), 5);
		return controller.signal;
	}],
];

describe('a call ended by its caller\'s signal is ABORTED everywhere', () => {
	it.each(signals)('%s: reachability, the breaker, stats() and attempt:end agree', async (_, signalOf) => {
		const api = createClient({ fetch: hanging, baseUrl: 'http://api.test/', store: memoryStore, name: `abort-vocabulary-${Math.random()}`, breaker: { consecutiveFailures: 2 }, trace: trace(), retry: 0, staleCache: false });
		const ends: Array<string | undefined> = [];
		api.on('attempt:end', ({ code }) => ends.push(code));
		for (let index = 0; index < 3; index++) {
			await expect(api.get(`items/${index}`, { signal: signalOf() })).rejects.toBeDefined();
		}

		const row = api.stats()['http://api.test']!;
		expect({ reach: api.reachability('http://api.test'), failures: row.failures, breaker: api.breaker('http://api.test').consecutiveFailures, ends })
			.toEqual({ reach: 'unknown', failures: { ABORTED: 3 }, breaker: 0, ends: ['ABORTED', 'ABORTED', 'ABORTED'] });
		api.close();
	});
});
