/**
 * Defect hunt, fifteenth round (fetchHandler and request bodies), in real Chromium with a registered
 * service worker: a page's plain `fetch` writes are bounded by the worker's outbox as the page's own
 * client would bound them (API.md "Offline writes for real apps": `maxBodyBytes` bounds text and JSON
 * bodies and a FormData's text fields, `maxFileBytes` a FormData's files), and a FormData the worker
 * queued is delivered with its fields and file intact.
 */
import { describe, expect, it } from 'vitest';
import { startApi } from '../helpers/pages.js';
import { claimingWorker, controlledPage, workerForFile } from '../helpers/service-worker.js';

const worker = (apiOrigin: string) => `
import { createClient, outbox } from 'steadfetch';
import { fetchHandler } from 'steadfetch/sw';
const api = createClient({ name: 'sw-hunt15', retry: 0, breaker: false, outbox: outbox({ maxBodyBytes: 300, maxFileBytes: 3000, baseBackoffMs: 100, maxBackoffMs: 500 }) });
const handle = fetchHandler(api, { match: new URLPattern({ protocol: 'http', hostname: '127.0.0.1', port: ${JSON.stringify(new URL(apiOrigin).port)} }) });
${claimingWorker()}`;

const { chromium, pages, origin: api } = workerForFile(startApi, worker);

describe('fetchHandler in real Chromium: a page\'s write bodies', () => {
	it('JSON or form text over maxBodyBytes is refused (503 OUTBOX_FULL) with the origin down; a FormData with a photo is queued (202) and delivered whole once it is back', async () => {
		const { context, page } = await controlledPage(chromium, pages);

		await api.down('refuse');
		const seen = await page.evaluate(async (base) => {
			const answer = async (response: Response) => `${response.status} ${response.headers.get('steadfetch-error') ?? (response.headers.get('steadfetch-outbox-entry') ? 'queued' : '')}`;
			const form = (text: number, file: number) => {
				const data = new FormData();
				data.append('note', 'n'.repeat(text));
				data.append('photo', new File([new Uint8Array(file).fill(7)], 'p.jpg', { type: 'image/jpeg' }));
				return data;
			};
			return [
				await answer(await fetch(`${base}/mutate?id=h15-json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ big: 'x'.repeat(1_000) }) })),
				await answer(await fetch(`${base}/mutate?id=h15-text`, { method: 'POST', body: form(1_000, 10) })),
				await answer(await fetch(`${base}/mutate?id=h15-photo`, { method: 'POST', body: form(5, 1_000) })),
			];
		}, api.url);
		expect(seen).toEqual(['503 OUTBOX_FULL', '503 OUTBOX_FULL', '202 queued']);

		await api.up();
		await expect.poll(() => api.state.applied.get('h15-photo')?.length ?? 0, { timeout: 15_000 }).toBe(1);
		const [delivered] = api.state.applied.get('h15-photo')!;
		expect(delivered!.type).toMatch(/^multipart\/form-data; boundary=/);
		expect(delivered!.body).toContain('name="note"\r\n\r\nnnnnn\r\n');
		expect(delivered!.body).toContain('name="photo"; filename="p.jpg"\r\nContent-Type: image/jpeg');
		expect(api.state.applied.get('h15-json')).toBeUndefined();
		await context.close();
	}, 90_000);
});
