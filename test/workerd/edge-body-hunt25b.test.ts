/**
 * Request bodies in the edge build, in real workerd (defect hunt, twenty-fifth round, b): this project runs src/ with
 * the edge build's stand-ins (vitest.config.ts), src/core/server-failure-edge.ts among them.
 *
 * - A `ReadableStream` body that errors as workerd reads it: workerd's `fetch` does not fail. It logs the stream's error
 *   as uncaught, ends the chunked body there (the server got an empty body) and resolves the answer, so the call resolved
 *   200 and a POST counted as a delivered write (`write:delivered`), its body never sent. Now the call rejects with the
 *   read's error (`UNKNOWN`, the app's, as Node's build gives it): not retried, not delivered, counted by neither the
 *   breaker nor reachability. A stream that ends well is sent whole, as before.
 */
import { describe, expect, inject, it } from 'vitest';
import { classify, createClient, memoryStore } from '../../src/entries/index.js';


let made = 0;

describe('a stream body in workerd (the edge build)', () => {
	const baseUrl = inject('baseUrl');
	const broken = new Error('the app\'s stream broke');
	const stream = (fails: boolean) => {
		let sent = false;
		return new ReadableStream<Uint8Array>({
			pull(controller) {
				if (sent) {
					fails ? controller.error(broken) : controller.close();
					return;
				}

				sent = true;
				controller.enqueue(new TextEncoder().encode('partial;'));
			},
		});
	};

	const client = () => {
		const api = createClient({ baseUrl: `${baseUrl}/`, store: memoryStore, name: `h25b-edge-${++made}`, retry: { limit: 2, delay: () => 0 } });
		const delivered: string[] = [];
		api.on('write:delivered', (event) => delivered.push(`${event.method} ${event.url}`));
		return { api, delivered };
	};

	it('one that errors as it is read: the call rejects with the read\'s error (UNKNOWN), not retried, no write delivered, nothing counted', async () => {
		const { api, delivered } = client();
		const id = `h25b-${crypto.randomUUID()}`;
		for (const method of ['post', 'put'] as const) {
			const error = await api[method](`echo?id=${id}`, { body: stream(true) }).then((response) => response.status, (caught: unknown) => caught);
			// Before: 200 (workerd sent an empty body and answered), a delivered write.
			expect(error).toBe(broken);
			expect(classify(error).code).toBe('UNKNOWN');
		}

		const [stats] = Object.values(api.stats());
		const hits = await (await fetch(`${baseUrl}/hits?id=${id}&path=/echo`)).json();
		// Before: ['POST …', 'PUT …'] delivered. Each call went out once (not retried); no answer counted for the origin.
		expect([delivered, stats!.retries, hits, api.breaker(baseUrl).consecutiveFailures, api.reachability(baseUrl)]).toEqual([[], 0, { hits: 2 }, 0, 'unknown']);
		api.close();
	});

	it('one that ends well is sent whole, and its write delivered', async () => {
		const { api, delivered } = client();
		const answer = await api.post('echo', { body: stream(false) }).json<{ body: string }>();
		expect([answer.body, delivered]).toEqual(['partial;', [`POST ${baseUrl}/echo`]]);
		api.close();
	});
});
