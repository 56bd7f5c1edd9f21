/**
 * Defect hunt, fifteenth round: fetchHandler and request bodies. Each test names the claim it holds
 * the code to (API.md, the README, the TSDoc).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutboxFullError, OutboxQueuedError, createClient, memoryStore, outbox } from '../../src/entries/index.js';

/** A client whose every attempt fails as a dropped connection does: a write the outbox takes is stored. */
const failing = (options: Parameters<typeof outbox>[0] = {}, sent: Request[] = []) => createClient({
	name: `h15-${Math.random()}`, store: () => memoryStore(`h15-${Math.random()}`), retry: 0, retryBudget: false, breaker: false, staleCache: false,
	outbox: outbox({ resumeJitterMs: 0, baseBackoffMs: 60_000, ...options }),
	fetch: async (input: Parameters<typeof fetch>[0]) => {
		sent.push(input as Request);
		await (input as Request).arrayBuffer(); // As a fetch that sends the body and then loses the connection.
		throw new TypeError('fetch failed');
	},
});

const outcome = async (promise: Promise<unknown>): Promise<string> => {
	try {
		await promise;
		return 'resolved';
	} catch (error) {
		return error instanceof OutboxFullError ? `OUTBOX_FULL:${error.reason}:${/outbox\.(\w+)/.exec(error.message)?.[1]}` : error instanceof OutboxQueuedError ? 'QUEUED' : String(error);
	}
};

describe('a Request input\'s body is bounded as the same body given as `body` (API.md Offline writes for real apps: maxBodyBytes bounds text and JSON, maxFileBytes a Blob, File, ArrayBuffer or typed array body, a FormData\'s files)', () => {
	const url = 'https://api.example/upload';
	const bytes = (n: number) => new Uint8Array(n).fill(7);
	const file = (n: number) => new File([bytes(n)], 'photo.jpg', { type: 'image/jpeg' });
	const form = (n: number) => {
		const data = new FormData();
		data.append('t', 'x');
		data.append('f', file(n));
		return data;
	};
	// Each with the type a Request tells (a Blob's, a File's, a FormData's; bytes sent as `application/octet-stream`).
	const octets = { 'content-type': 'application/octet-stream' };
	const bodies: Array<[string, (n: number) => BodyInit, HeadersInit] | [string, (n: number) => BodyInit]> = [
		['typed Blob', (n) => new Blob([bytes(n)], { type: 'image/png' })],
		['File', file],
		['Blob sent as octets', (n) => new Blob([bytes(n)]), octets],
		['ArrayBuffer sent as octets', (n) => bytes(n).buffer, octets],
		['Uint8Array sent as a PDF', bytes, { 'content-type': 'application/pdf' }],
		['DataView sent as octets', (n) => new DataView(bytes(n).buffer), octets],
		['FormData with a File', form],
	];

	it('a binary body in a Request under maxFileBytes (over maxBodyBytes) is queued, as `body` is; over maxFileBytes both are OutboxFullError naming maxFileBytes', async () => {
		const api = failing({ maxBodyBytes: 300, maxFileBytes: 3_000 });
		try {
			const seen: string[][] = [];
			for (const [kind, make, headers = {}] of bodies) {
				seen.push([kind,
					await outcome(api.post(url, { body: make(1_000), headers })),
					await outcome(api.post(new Request(url, { method: 'POST', body: make(1_000), headers }))),
					await outcome(api.post(url, { body: make(5_000), headers })),
					await outcome(api.post(new Request(url, { method: 'POST', body: make(5_000), headers })))]);
			}

			expect(seen).toEqual(bodies.map(([kind]) => [kind, 'QUEUED', 'QUEUED', 'OUTBOX_FULL:size:maxFileBytes', 'OUTBOX_FULL:size:maxFileBytes']));
			const stored = await api.outbox.list();
			expect(stored.map((entry) => entry.bodyBytes >= 1_000)).toEqual(bodies.flatMap(() => [true, true]));
		} finally {
			api.close();
		}
	});

	it('a Request whose body tells no type (a stream, untyped bytes: not told apart) is still read as text, bounded by maxBodyBytes', async () => {
		const api = failing({ maxBodyBytes: 300, maxFileBytes: 3_000 });
		try {
			expect([await outcome(api.post(new Request(url, { method: 'POST', body: bytes(1_000) }))), await outcome(api.post(new Request(url, { method: 'POST', body: bytes(200) })))])
				.toEqual(['OUTBOX_FULL:size:maxBodyBytes', 'QUEUED']);
		} finally {
			api.close();
		}
	});

	it('a text body in a Request stays bounded by maxBodyBytes (a string, URLSearchParams, JSON text), as `body` is', async () => {
		const api = failing({ maxBodyBytes: 300, maxFileBytes: 3_000 });
		try {
			const text = 'a'.repeat(1_000);
			const seen = [
				await outcome(api.post(new Request(url, { method: 'POST', body: text }))),
				await outcome(api.post(new Request(url, { method: 'POST', body: new URLSearchParams({ a: text }) }))),
				await outcome(api.post(new Request(url, { method: 'POST', body: JSON.stringify({ a: text }), headers: { 'content-type': 'application/json' } }))),
				await outcome(api.post(new Request(url, { method: 'POST', body: 'short' }))),
			];
			expect(seen).toEqual(['OUTBOX_FULL:size:maxBodyBytes', 'OUTBOX_FULL:size:maxBodyBytes', 'OUTBOX_FULL:size:maxBodyBytes', 'QUEUED']);
		} finally {
			api.close();
		}
	});

	it('a FormData in a Request whose text fields are over maxBodyBytes is refused naming maxBodyBytes, as `body: formData` is', async () => {
		const api = failing({ maxBodyBytes: 300, maxFileBytes: 3_000 });
		try {
			const data = () => {
				const made = new FormData();
				made.append('t', 'a'.repeat(1_000));
				made.append('f', file(10));
				return made;
			};
			expect([await outcome(api.post(url, { body: data() })), await outcome(api.post(new Request(url, { method: 'POST', body: data() })))])
				.toEqual(['OUTBOX_FULL:size:maxBodyBytes', 'OUTBOX_FULL:size:maxBodyBytes']);
		} finally {
			api.close();
		}
	});
});

describe('a FormData body refused before any I/O leaves a Node process running (API.md Errors: CircuitOpenError "no network I/O happened"; every call settles with an answer, a stale copy or a typed error)', () => {
	const root = join(import.meta.dirname, '../..');
	const run = (setup: string, call: string): ReturnType<typeof spawnSync> => spawnSync(process.execPath, ['--input-type=module', '-e', `
		import { createClient, memoryStore } from ${JSON.stringify(join(root, 'dist/index.js'))};
		import { createClient as createCore } from ${JSON.stringify(join(root, 'dist/core.js'))};
		const form = () => { const data = new FormData(); data.append('t', 'x'); data.append('f', new File([new Uint8Array(100)], 'p.jpg', { type: 'image/jpeg' })); return data; };
		const url = 'http://127.0.0.1:9/upload'; // Port 9 (discard): nothing may reach it.
		${setup}
		const outcome = await ${call}.then(() => 'sent', (error) => error.name);
		// What Node's FormData serializer does after the call was answered must not end the process.
		await new Promise((resolve) => setTimeout(resolve, 300));
		console.log(outcome);
		process.exit(0);
	`], { cwd: root, encoding: 'utf8', timeout: 30_000 });
	const preset = `const api = createClient({ store: memoryStore, retry: 0 });`;

	it.each([
		['the breaker open (isolate)', `${preset} api.breaker.isolate(url);`, `api.post(url, { body: form() })`, 'CircuitOpenError'],
		['the breaker open, a Request carrying the FormData', `${preset} api.breaker.isolate(url);`, `api(new Request(url, { method: 'POST', body: form() }))`, 'CircuitOpenError'],
		['the caller\'s signal aborted already', preset, `api.post(url, { body: form(), signal: AbortSignal.abort() })`, 'AbortError'],
		['an app policy\'s layer refusing', `const api = createCore({ deny: { slot: 'deny', create: () => ({ layer: () => () => Promise.reject(new RangeError('denied')) }) } });`, `api.post(url, { body: form() })`, 'RangeError'],
		['a keyed PUT with retries, its first attempt refused', `${preset} api.breaker.isolate(url);`, `api.put(url, { body: form(), retry: { limit: 2 } })`, 'CircuitOpenError'],
	])('%s: the call rejects, the process exits 0', (_, setup, call, expected) => {
		const result = run(setup, call);
		expect([result.status, String(result.stdout).trim()], String(result.stderr)).toEqual([0, expected]);
	});
});
