/**
 * Defect hunt, fortieth round (explore), in real Chromium (IndexedDB, Chromium's own multipart parser): a write `onConflict`
 * rebases with a new `FormData` and the entry's headers (`{ body: form, headers: entry.headers }`, which hold the stored
 * body's `multipart/form-data; boundary=…`) was replayed with the old boundary over the new bytes: the server could not read
 * it. A FormData's own type wins there as at a call (API.md "Conflicts" and "Files"), at a replay's conflict and at an
 * early-queued write's (`networkTimeoutMs`).
 */
import { describe, expect, it } from 'vitest';
import { createClient, indexedDbStore, outbox, type ConflictResolution } from '../../src/entries/index.js';

/** A server that parses each multipart body as Chromium does, answers 412 to the first `conflicts` it reads, then 201. */
const formServer = (conflicts: number, hold?: Promise<void>) => {
	const state = { up: false, seen: [] as string[] };
	const transport = async (input: RequestInfo | URL): Promise<Response> => {
		const request = input as Request;
		if (!state.up) {
			throw new TypeError('Failed to fetch');
		}

		const form = await request.clone().formData().then((data) => JSON.stringify([...data].map(([name, value]) => [name, typeof value === 'string' ? value : `${value.name} ${value.type}`])), () => 'unreadable');
		state.seen.push(`${request.headers.get('content-type')?.replace(/boundary=.*/, 'boundary=…')} ${form}`);
		await hold;
		return conflicts-- > 0 ? new Response(null, { status: 412 }) : Response.json({ id: 1 }, { status: 201 });
	};
	return { state, transport };
};

const oldForm = (): FormData => {
	const form = new FormData();
	form.append('v', '1');
	form.append('f', new File(['old'], 'old.txt', { type: 'text/plain' }));
	return form;
};

const newForm = (): FormData => {
	const form = new FormData();
	form.append('v', '2');
	form.append('f', new File(['new'], 'new.txt', { type: 'text/plain' }));
	return form;
};

const name = (): string => `rebase-${Math.random().toString(36).slice(2)}`;
const oldSeen = 'multipart/form-data; boundary=… [["v","1"],["f","old.txt text/plain"]]';
const newSeen = 'multipart/form-data; boundary=… [["v","2"],["f","new.txt text/plain"]]';

describe('onConflict rebases a FormData write (Chromium)', () => {
	for (const [label, rebase] of [
		['with the entry\'s headers', ({ entry }) => ({ body: newForm(), headers: entry.headers })],
		['with a Content-Type given by hand', () => ({ body: newForm(), headers: { 'Content-Type': 'multipart/form-data' } })],
		['without headers (the stored ones but its type)', () => ({ body: newForm() })],
	] as Array<[string, (conflict: { entry: { headers: Record<string, string> } }) => ConflictResolution]>) {
		it(`at a replay, ${label}: the server reads the new form`, async () => {
			const { state, transport } = formServer(1);
			const api = createClient({ name: name(), baseUrl: 'https://api.test/', fetch: transport, retry: 0, breaker: false, store: indexedDbStore, outbox: outbox({ resumeJitterMs: 0, onConflict: rebase }) });
			const queued = await api.put('doc', { body: oldForm(), headers: { 'if-match': '"1"' } }).then((response) => response.status, (error: Error) => error.name);
			expect(queued).toBe('OutboxQueuedError');
			state.up = true;
			expect(await api.outbox.flush()).toMatchObject({ sent: 1, dead: 0 });
			// Before (with the entry's headers, or a type by hand): [oldSeen, 'multipart/form-data; boundary=… unreadable'] (by hand: no boundary).
			expect(state.seen).toEqual([oldSeen, newSeen]);
			api.close();
		});
	}

	it('at an early-queued write\'s own attempt (networkTimeoutMs), with the entry\'s headers: the server reads the new form', async () => {
		let release: () => void = () => undefined;
		const { state, transport } = formServer(1, new Promise<void>((resolve) => {
			release = resolve;
		}));
		state.up = true;
		const api = createClient({ name: name(), baseUrl: 'https://api.test/', fetch: transport, retry: 0, breaker: false, store: indexedDbStore,
			outbox: outbox({ resumeJitterMs: 0, networkTimeoutMs: 50, onConflict: ({ entry }) => ({ body: newForm(), headers: entry.headers }) }) });
		const sent: string[] = [];
		api.on('outbox:sent', ({ entryId }) => sent.push(entryId));
		const queued = await api.put('doc', { body: oldForm(), headers: { 'if-match': '"1"' } }).then((response) => response.status, (error: Error) => error.name);
		expect(queued).toBe('OutboxQueuedError');
		release();
		await expect.poll(() => sent.length).toBe(1);
		// Before: [oldSeen, 'multipart/form-data; boundary=… unreadable'].
		expect(state.seen).toEqual([oldSeen, newSeen]);
		api.close();
	});
});
