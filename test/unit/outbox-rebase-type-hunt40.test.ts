/**
 * An `onConflict` rebase with a new body and the entry's own headers handed back (`{ json, headers: entry.headers }`), the
 * fortieth hunt: the stored Content-Type, which described the OLD body, was sent over the new one (JSON labelled
 * `multipart/form-data; boundary=…`, which no server reads). The rule: the stored type given back unchanged over a new body
 * that has a type of its own of another kind is replaced by that type; a type the app gives that differs from the stored one,
 * or the stored one when the new body is of the same kind (a vendor `application/vnd.api+json` over `json`), stays.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, memoryStore, outbox, type ConflictResolution } from '../../src/entries/index.js';
import type { Outbox } from '../../src/entries/outbox.js';

const opened: Array<{ close(): unknown }> = [];
afterEach(() => {
	for (const client of opened.splice(0)) {
		client.close();
	}
});

/** What a server reads of a body by its Content-Type: JSON for any JSON type, a form's fields for multipart or urlencoded, text for text/*. */
const read = async (request: Request): Promise<string> => {
	const type = request.headers.get('content-type') ?? '';
	try {
		if (/^application\/([\w.-]+\+)?json\b/i.test(type)) {
			return `json ${JSON.stringify(await request.json())}`;
		}

		if (/^(multipart\/form-data|application\/x-www-form-urlencoded)/i.test(type)) {
			return `form ${JSON.stringify([...await request.formData()].map(([name, value]) => [name, String(value)]))}`;
		}

		return /^text\//i.test(type) ? `text ${await request.text()}` : 'unreadable';
	} catch {
		return 'unreadable';
	}
};

/** A client whose origin answers 412 to its first attempt that reaches it, then 201; `seen`: each type and what was read. */
const made = (onConflict: (conflict: { entry: { headers: Record<string, string> } }) => ConflictResolution) => {
	const state = { up: false, conflicts: 1, seen: [] as string[] };
	const fetch = async (request: Request): Promise<Response> => {
		if (!state.up) {
			throw new TypeError('Failed to fetch');
		}

		state.seen.push(`${request.headers.get('content-type')?.replace(/boundary=.*/, 'boundary=…')} | ${await read(request)}`);
		return state.conflicts-- > 0 ? new Response(null, { status: 412 }) : Response.json({ id: 1 }, { status: 201 });
	};
	const client = createClient({ name: `h40-rebase-${crypto.randomUUID()}`, baseUrl: 'https://api.test/', store: memoryStore, fetch: fetch as typeof globalThis.fetch, retry: 0, breaker: false, staleCache: false, outbox: outbox({ resumeJitterMs: 0, onConflict }) });
	opened.push(client);
	return { client: client as typeof client & { outbox: Outbox }, state };
};

const form = (): FormData => {
	const data = new FormData();
	data.append('v', '1');
	return data;
};

/** Queue `first` offline, then replay it (412) and its rebase: the second thing the server saw. */
const rebasedSeen = async (first: Record<string, unknown>, onConflict: (conflict: { entry: { headers: Record<string, string> } }) => ConflictResolution): Promise<string> => {
	const { client, state } = made(onConflict);
	await client.put('doc', { ...first, headers: { 'if-match': '"1"', ...first.headers as object } }).catch(() => undefined);
	state.up = true;
	expect(await client.outbox.flush()).toMatchObject({ sent: 1, dead: 0 });
	expect(state.seen).toHaveLength(2);
	return state.seen[1]!;
};

describe('onConflict rebases with a new body and the entry\'s headers', () => {
	it('a FormData write rebased with json: application/json, the server reads the JSON', async () => {
		// Before: 'multipart/form-data; boundary=… | unreadable'.
		expect(await rebasedSeen({ body: form() }, ({ entry }) => ({ json: { v: 2 }, headers: entry.headers }))).toBe('application/json | json {"v":2}');
	});

	it('a text write rebased with json, a JSON write rebased with a string and with URLSearchParams: each its own type', async () => {
		expect(await rebasedSeen({ body: 'v=1', headers: { 'content-type': 'text/plain' } }, ({ entry }) => ({ json: { v: 2 }, headers: entry.headers })))
			.toBe('application/json | json {"v":2}');
		expect(await rebasedSeen({ json: { v: 1 } }, ({ entry }) => ({ body: 'v2', headers: entry.headers }))).toBe('text/plain;charset=UTF-8 | text v2');
		expect(await rebasedSeen({ json: { v: 1 } }, ({ entry }) => ({ body: new URLSearchParams({ v: '2' }), headers: entry.headers })))
			.toBe('application/x-www-form-urlencoded;charset=UTF-8 | form [["v","2"]]');
	});

	it('a JSON write rebased with a typed Blob: the Blob\'s type', async () => {
		expect(await rebasedSeen({ json: { v: 1 } }, ({ entry }) => ({ body: new Blob(['v3'], { type: 'text/csv' }), headers: entry.headers }))).toBe('text/csv | text v3');
	});

	it('a vendor JSON type stays over json (the same kind), and a type the app gives over the stored one stays', async () => {
		const vendor = 'application/vnd.api+json';
		expect(await rebasedSeen({ json: { v: 1 }, headers: { 'content-type': vendor } }, ({ entry }) => ({ json: { v: 2 }, headers: entry.headers }))).toBe(`${vendor} | json {"v":2}`);
		expect(await rebasedSeen({ body: form() }, ({ entry }) => ({ json: { v: 2 }, headers: { ...entry.headers, 'Content-Type': vendor } }))).toBe(`${vendor} | json {"v":2}`);
	});

	it('untyped bytes keep the type handed back (they have none of their own); no new body keeps the stored one', async () => {
		expect(await rebasedSeen({ json: { v: 1 } }, ({ entry }) => ({ body: new TextEncoder().encode('{"v":4}'), headers: entry.headers }))).toBe('application/json | json {"v":4}');
		expect(await rebasedSeen({ json: { v: 1 } }, ({ entry }) => ({ headers: { ...entry.headers, 'if-match': '"2"' } }))).toBe('application/json | json {"v":1}');
	});
});
