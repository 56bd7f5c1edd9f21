/**
 * Hunt 23: a server runtime's network failure that ky's detection misses (src/core/network-failure.ts) is found in time
 * linear in its message, which the runtime or an app's own `fetch` writes (a socket error code may be repeated in it).
 */
import { describe, expect, it } from 'vitest';
import { classify, createClient } from '../../src/entries/index.js';

/** The call's error, what `classify()` calls it, and the ms the call took. */
const failing = async (error: Error) => {
	const api = createClient({ name: `h23-nf-${Math.random()}`, breaker: false, retryBudget: false, staleCache: false, retry: 0, fetch: async () => {
		throw error;
	} });
	const started = performance.now();
	const failed = await api.get('https://a.test/x').then(() => undefined, (thrown: unknown) => thrown);
	return { failed, code: classify(failed).code, ms: performance.now() - started };
};

describe('a runtime network failure is recognised in time linear in its message', () => {
	it('a message of 256 KB repeating ECONNRESET, then a line break: a network failure at once', async () => {
		// Before: `.*\b(?:ECONNRESET…)\b.*$` backtracked over the rest of the line at each code: 3.7 s here, and the
		// line break kept it from matching (an UNKNOWN error, not retried nor counted as the network's).
		const { code, ms } = await failing(new Error(`${'ECONNRESET '.repeat(23_831)}\n`));
		expect(code).toBe('NETWORK');
		expect(ms).toBeLessThan(1_000); // a few ms
	});

	it('calls network failures what it called so, on any line, and nothing else', async () => {
		for (const message of ['Network connection lost.', 'network connection lost', 'Connection refused', 'error sending request for url (https://a.test/x)', 'read ECONNRESET', 'connect ECONNREFUSED 127.0.0.1:1', 'write EPIPE', 'socket hang up\ncaused by: read ECONNRESET']) {
			expect((await failing(new Error(message))).code, message).toBe('NETWORK');
		}

		for (const message of ['Network connection lost. Retrying', 'the connection refused to open', 'xECONNRESET', 'ECONNRESETS', 'an error sending requests', 'boom']) {
			expect((await failing(new Error(message))).code, message).not.toBe('NETWORK');
		}
	});
});
