/**
 * In real Chromium: `queryOptionsFor`'s `meta.steadfetchUrl` for a relative input with no `baseUrl` or `prefix`, which a
 * call resolves against the page (fetch's own base), follows the page as a single-page app moves (`history.pushState`),
 * so `syncInvalidation` finds the query its write touches.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, memoryStore } from '../../src/entries/index.js';
import { queryOptionsFor } from '../../src/entries/tanstack-query.js';

const start = location.href;
afterEach(() => {
	history.replaceState(null, '', start);
});

describe('queryOptionsFor in a page whose URL changes', () => {
	it('a relative input names the URL of the page the query is made in, not of the first page it was made in', () => {
		const api = createClient({ name: 'tanstack-hunt34-spa', store: memoryStore, breaker: false, staleCache: false, retry: 0 });
		try {
			history.pushState(null, '', '/app/users/');
			const first = queryOptionsFor(api, 'todos').meta.steadfetchUrl;
			history.pushState(null, '', '/app/projects/7/');
			const second = queryOptionsFor(api, 'todos').meta.steadfetchUrl;
			// Before: the second was the first page's (`…/app/users/todos`), kept by its input's text.
			expect([first, second]).toEqual([`${location.origin}/app/users/todos`, `${location.origin}/app/projects/7/todos`]);
		} finally {
			api.close();
		}
	});
});
