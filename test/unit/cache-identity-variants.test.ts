/** The stale cache and `clear({ identity })`: only that identity's copies go (API.md "Identity: persisted state belongs to someone"). */
import { describe, expect, it, vi } from 'vitest';
import { quiet, useCacheKit } from './cache-kit.js';

const kit = useCacheKit();

describe('clear({ identity }) while a copy is being written', () => {
	it('leaves the copy of bob\'s answer being written when the app clears ann\'s: it is stored and answers bob\'s failed read', async () => {
		const api = kit.make({ identity: () => 'bob' });
		let stored = false;
		api.on('cache:stored', () => {
			stored = true;
		});
		const response = await api.get('report?size=200000&cc=max-age%3D60');
		// Its copy is written behind the caller (its body read first): the app clears what ann left meanwhile.
		await api.clear({ identity: 'ann' });
		expect((await response.text()).length).toBe(200_000);
		await vi.waitFor(() => expect(stored).toBe(true), { timeout: 4_000 });
		expect(await kit.servedStale(api, 'report?size=200000&cc=max-age%3D60')).toBe(true);
		api.close();
	});

	it('still ends the copy of the cleared identity\'s answer being written: ann\'s is not stored', async () => {
		const api = kit.make({ identity: () => 'ann' });
		const response = await api.get('own?size=200000&cc=max-age%3D60');
		await api.clear({ identity: 'ann' });
		expect((await response.text()).length).toBe(200_000);
		await quiet();
		expect(await kit.servedStale(api, 'own?size=200000&cc=max-age%3D60')).toBe(false);
		api.close();
	});
});
