/**
 * `PolicyContext.hooks.validatorOf(url, identity)`: what the stale cache offers the outbox for its
 * `conditional` writes (issue 27) — the validators of the copy it holds for a URL and identity.
 */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/entries/core.js';
import { staleCache } from '../../src/entries/cache.js';
import type { PolicyContext } from '../../src/entries/policy.js';
import { next, useCacheKit } from './cache-kit.js';

const kit = useCacheKit();

/** A client with the stale cache, and the context another policy (here in the outbox's slot) is given. */
const setup = (who: () => string | undefined = () => undefined) => {
	let context!: PolicyContext;
	const api = createClient({
		baseUrl: kit.url + '/', clock: kit.clock, store: () => kit.store, retry: 0, identity: who,
		staleCache: staleCache({ shared: false }),
		outbox: { slot: 'outbox', create(given) {
			context = given;
			return {};
		} },
	});
	return { api, validatorOf: async (path: string, identity?: string) => context.hooks.validatorOf!(`${kit.url}/${path}`, identity) };
};

describe('validatorOf', () => {
	it('the stored copy\'s ETag and Last-Modified; nothing for a URL without a copy, or once it is invalidated', async () => {
		const { api, validatorOf } = setup();
		const lastModified = 'Wed, 21 Oct 2026 07:28:00 GMT';
		await api.get(`val/1?etag=hit&lm=${encodeURIComponent(lastModified)}`).text();
		await next(api, 'cache:stored');
		expect(await validatorOf(`val/1?etag=hit&lm=${encodeURIComponent(lastModified)}`)).toEqual({ etag: '"1"', lastModified });
		await api.get('val/2').text();
		await next(api, 'cache:stored');
		expect(await validatorOf('val/2')).toEqual({});
		expect(await validatorOf('val/never')).toBeUndefined();
		await api.put('val/2');
		expect(await validatorOf('val/2')).toBeUndefined();
	});

	it('within the identity it was stored for, whatever credentials the request carried (the newest copy)', async () => {
		let who: string | undefined = 'alice';
		const { api, validatorOf } = setup(() => who);
		await api.get('val/3?etag=hit', { headers: { authorization: 'Bearer a' } }).text();
		await next(api, 'cache:stored');
		kit.clock.advance(1000);
		await api.get('val/3?etag=hit', { headers: { authorization: 'Bearer b' } }).text();
		await next(api, 'cache:stored');
		expect(await validatorOf('val/3?etag=hit', 'alice')).toEqual({ etag: '"2"' });
		expect(await validatorOf('val/3?etag=hit', 'bob')).toBeUndefined();
		expect(await validatorOf('val/3?etag=hit')).toBeUndefined();
		who = undefined;
		await api.get('val/3?etag=hit').text();
		await next(api, 'cache:stored');
		expect(await validatorOf('val/3?etag=hit')).toEqual({ etag: '"3"' });
	});

	// Defect hunt, seventh round: the conditional write of the app's own next change carried the validator its delivered write made stale (a 412 on replay).
	it('nothing from a copy stored before a delivered write of its URL, also one a client of the name without a stale cache delivered (nobody dropped the copy)', async () => {
		const { api, validatorOf } = setup();
		await api.get('val/4?etag=hit').text();
		await next(api, 'cache:stored');
		expect(await validatorOf('val/4?etag=hit')).toEqual({ etag: '"1"' });
		kit.clock.advance(1);
		const writer = createClient({ baseUrl: kit.url + '/', clock: kit.clock, store: () => kit.store, retry: 0 });
		expect((await writer.put('val/4?etag=hit')).status).toBe(200);
		expect(await validatorOf('val/4?etag=hit')).toBeUndefined(); // Before: { etag: '"1"' }.
		writer.close();
	});
});
