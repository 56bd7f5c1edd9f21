/**
 * Defect hunt, forty-first round, neighbours held as correct: `outbox.list()` and `outbox.size()` while a drain delivers
 * (API.md "Outbox": `size()` the pending entries, `list()` pending, oldest first). While a replay is in flight its entry is
 * still pending (removed only once answered); every read during the drain lists each pending entry once, in order, and
 * a write made behind them during the drain is listed after them. Memory store, injected clock, a test transport whose
 * answers the test releases one at a time.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeWindow, queued, startHarness, throwIfOffline, until, type Harness } from './outbox-helpers.js';

let h: Harness;
let win: ReturnType<typeof fakeWindow>;
/** The answers waiting for the test, oldest first, and the paths of the requests they answer. */
let held: Array<{ path: string; answer: () => void }>;

const heldApi = async (input: Parameters<typeof fetch>[0]): Promise<Response> => {
	throwIfOffline();
	const path = new URL((input as Request).url).pathname;
	await new Promise<void>((resolve) => held.push({ path, answer: resolve }));
	return Response.json({ ok: true }, { status: 201 });
};

beforeEach(async () => {
	h = await startHarness();
	win = fakeWindow();
	held = [];
});
afterEach(async () => {
	for (const each of held.splice(0)) {
		each.answer();
	}

	win.restore();
	await h.close();
});

describe('list() and size() during a drain', () => {
	it('each pending entry listed once, oldest first, the one in flight included; a write made meanwhile listed after them', async () => {
		const api = h.make({ fetch: heldApi });
		win.setOnline(false, false);
		const ids = [await queued(api.post('a', { json: {} })), await queued(api.post('b', { json: {} })), await queued(api.post('c', { json: {} }))];
		win.setOnline(true, false);
		const flushed = api.outbox.flush();
		await until(() => held.length === 1);
		expect([held[0]!.path, await api.outbox.size(), (await api.outbox.list()).map((entry) => entry.id)]).toEqual(['/a', 3, ids]);
		// Made while the drain holds its scope: queued behind them (FIFO), never sent ahead.
		const later = await queued(api.post('d', { json: {} }));
		expect((await api.outbox.list()).map((entry) => entry.id)).toEqual([...ids, later]);
		const seen: number[] = [];
		for (let left = 4; left > 0; left--) {
			await until(() => held.length === 1);
			const listed = (await api.outbox.list()).map((entry) => entry.id);
			expect(new Set(listed).size).toBe(listed.length);
			expect(listed).toEqual([...ids, later].slice(4 - left));
			seen.push(await api.outbox.size());
			held.shift()!.answer();
			await until(async () => (await api.outbox.size()) === left - 1);
		}

		expect(seen).toEqual([4, 3, 2, 1]);
		expect(await flushed).toMatchObject({ remaining: 0 });
		expect(await api.outbox.stats()).toEqual({ entries: 0, dead: 0, bytes: 0 });
	});
});

describe('files replayed byte-identical after a reload, under the same Idempotency-Key', () => {
	/** What left the client: each write's Content-Type, Idempotency-Key and bytes (hex). */
	let writes: Array<{ type: string | null; key: string | null; bytes: string }>;
	let down: boolean;
	const recording = async (input: Parameters<typeof fetch>[0]): Promise<Response> => {
		const request = input as Request;
		writes.push({ type: request.headers.get('content-type'), key: request.headers.get('idempotency-key'), bytes: Buffer.from(await request.arrayBuffer()).toString('hex') });
		return new Response(null, { status: down ? 503 : 201 });
	};
	beforeEach(() => {
		writes = [];
		down = true;
	});

	const source = Uint8Array.from({ length: 600 }, (_, index) => (index * 37) % 256);
	const form = (): FormData => {
		const data = new FormData();
		data.append('title', 'día 1');
		data.append('photo', new File([source], 'a b.png', { type: 'image/png' }));
		data.append('raw', new Blob([source.subarray(0, 10)]));
		return data;
	};
	it.each([
		['a Blob with a type parameter', () => new Blob([source], { type: 'text/csv;charset=utf-8' })],
		['a File', () => new File([source], 'a.bin', { type: 'application/x-thing' })],
		['an ArrayBuffer', () => source.slice().buffer],
		['a typed array view with an offset', () => new Int16Array(source.slice().buffer, 2, 100)],
		['a DataView', () => new DataView(source.slice().buffer, 5, 300)],
		['URLSearchParams', () => new URLSearchParams({ q: 'día & noche', n: '1' })],
		['a FormData with a File and a Blob', form],
	] as const)('%s: the first attempt and the replay of a new client on the store send the same bytes, type and key', async (_name, body) => {
		const first = h.make({ fetch: recording });
		await queued(first.post('files', { body: body() as BodyInit }));
		first.close();
		down = false;
		const reloaded = h.make({ fetch: recording });
		await reloaded.outbox.flush();
		await until(async () => (await reloaded.outbox.size()) === 0);
		expect(writes).toHaveLength(2);
		expect(writes[1]).toEqual(writes[0]);
		expect(writes[0]!.key).toBeTruthy();
	});
});
