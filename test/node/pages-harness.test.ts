import { expect, it } from 'vitest';
import { openPage, chromiumForFile } from '../helpers/pages.js';

const { chromium, pages, api } = chromiumForFile();

it('real Chromium pages load the built library and reach the API origin, which can go down and up', async () => {
	const context = await chromium.context();
	const page = await openPage(context, pages);
	const get = async () => page.evaluate(async (base) => {
		const { createClient, classify } = (globalThis as unknown as { steadfetch: typeof import('../../src/entries/index.js') }).steadfetch;
		const api = createClient({ retry: 0, breaker: false, staleCache: false });
		try {
			const response = await api.get(`${base}/json?id=harness`);
			return String(response.status);
		} catch (error) {
			return classify(error).code as string;
		}
	}, api.url);
	expect(await get()).toBe('200');
	await api.down('refuse');
	expect(await get()).toBe('NETWORK');
	await api.down(503);
	await api.up();
	expect(await get()).toBe('200');
	await context.close();
});
