/**
 * Request bodies in the edge build, in real workerd (defect hunt, thirtieth round): this project runs src/ with the
 * edge build's stand-ins (vitest.config.ts), src/core/server-failure-edge.ts among them. The same against Node's
 * `fetch` (as Deno's, it rejects then), Node's build beside the edge's: test/unit/edge-body-hunt30-variants.test.ts.
 *
 * - A Request a ky hook gives (`beforeRequest`, `beforeRetry`) with a stream body of the app's that errors mid-way: the
 *   body was not watched, so workerd cut it short and answered ("200", a write told delivered). Now the call rejects
 *   with the stream's error (`UNKNOWN`), as with the call's own body: not retried, not delivered.
 */
import { describe, expect, inject, it } from 'vitest';
import { classify, createClient, memoryStore } from '../../src/entries/index.js';
import { breaking, stream } from '../unit/edge-body-kit.js';

let made = 0;

describe('a Request a ky hook gives, in workerd', () => {
	const baseUrl = inject('baseUrl');
	const hits = async (id: string, path: string): Promise<unknown> => (await fetch(`${baseUrl}/hits?id=${id}&path=${path}`)).json();
	const client = (hooks: object) => {
		const api = createClient({ store: memoryStore, name: `h30-edge-${++made}`, retry: { limit: 2, delay: () => 0 }, hooks } as never);
		const delivered: string[] = [];
		api.on('write:delivered', (event) => delivered.push(event.method));
		return { api, delivered };
	};

	const retries = (api: ReturnType<typeof client>['api']): number => Object.values(api.stats())[0]?.retries ?? 0;
	const giving = (body: () => ReadableStream<Uint8Array>) => ({ request }: { request: Request }) => new Request(request, { body: body(), duplex: 'half' } as RequestInit);

	it.each<[string, string, string, number, number]>([
		// Before: 200, a delivered write (['PUT']).
		['beforeRequest', '/echo', '/echo', 0, 1],
		// Before: 200 (the retry's body cut short), a delivered write.
		['beforeRetry', '/plan/503,200', '/plan/503,200', 1, 2],
	])('%s: a stream that errors mid-way fails the call with the stream\'s error (UNKNOWN), not retried, not delivered', async (hook, path, hitPath, retried, sent) => {
		const broken = new Error('the app\'s stream broke');
		const { api, delivered } = client({ [hook]: [giving(() => breaking(broken))] });
		const id = `h30-${crypto.randomUUID()}`;
		const error = await api.put(`${baseUrl}${path}?id=${id}`, { body: 'call' }).then((response) => response.status, (caught: unknown) => caught);
		expect([error, classify(error).code, delivered, retries(api), await hits(id, hitPath)]).toEqual([broken, 'UNKNOWN', [], retried, { hits: sent }]);
		api.close();
	});

	it('a hook\'s whole stream, and the call\'s own stream with a client that has hooks, go out whole (a guard)', async () => {
		const echoed = async (response: Response): Promise<string> => ((await response.json()) as { body: string }).body;
		const hooked = client({ beforeRequest: [giving(() => stream('from-hook'))] });
		expect(await echoed(await hooked.api.put(`${baseUrl}/echo`, { body: 'call' }))).toBe('from-hook');
		const plain = client({ beforeRequest: [() => undefined] });
		expect(await echoed(await plain.api.put(`${baseUrl}/echo`, { body: stream('own') }))).toBe('own');
		expect([hooked.delivered, plain.delivered]).toEqual([['PUT'], ['PUT']]);
		hooked.api.close();
		plain.api.close();
	});
});
