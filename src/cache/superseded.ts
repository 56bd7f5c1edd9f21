import { redact } from '../utils/sensitive.js';
import { pathOf, urlOf } from './keys.js';
import type { CacheState } from './state.js';

/**
 * The paths whose copies a delivered write makes unusable (API.md "Read your own writes"), as
 * `pathOf` gives them: the written URL's, and the collection a POST went to (the URL itself) or the
 * parent path of a PUT, PATCH or DELETE (`/todos` for `/todos/1` and `/todos/1/`). Copies of these
 * with any query string, or a slash at the end, go with them.
 */
export const touchedBy = (method: string, url: string): string[] => {
	const path = pathOf(url);
	const { origin, pathname } = new URL(path);
	const parent = pathOf(`${origin}${pathname.slice(0, pathname.lastIndexOf('/'))}`);
	return method === 'POST' || parent === path ? [path] : [path, parent];
};

/**
 * A write to `url` was delivered: no copy of the paths it touches stored before now is ever served
 * again, nor one the origin answered from one of them (a redirect's `final` path: record.ts). Noted at once (`PolicyContext.removed`, which the other tabs hear) so that no read started
 * before, in any tab, stores its answer after (`write` checks its world); then the copies of every
 * identity go from the store, each told (`cache:superseded`). Also for a write another client of the
 * name delivered (see `createCache`): the removal noted by the client that drops its copies is what
 * deletes again a copy whose put the store lands after the drop's delete (the part store). Never rejects.
 */
export const supersede = (cache: CacheState, scope: string, method: string, url: string): Promise<void> => {
	const { context, view, params, store } = cache;
	const written = redact(url, params);
	const paths = new Set(touchedBy(method, written));
	for (const path of paths) {
		context.removed('cache', path);
	}

	// Also a copy the origin answered from one of them (a redirect's: `GET /me` from `/users/42`), when the view knows it.
	return view.drop(store, (stored) => paths.has(pathOf(urlOf(stored) ?? '')) || paths.has(view.finalOf(stored) ?? '')).then((dropped) => {
		for (const stored of dropped) {
			context.emit('cache:superseded', { scope, method: 'GET', url: urlOf(stored)!, by: { method, url: written } });
		}
	});
};
