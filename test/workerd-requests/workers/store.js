// The Cache API store alone, one instance for every request of the isolate.
// `/set?key=&value=` writes and answers once written; `&wait=0` starts the write and answers at
// once (the request ends with the write under way, as a write-behind without waitUntil does);
// `/get?key=`, `/keys`, `/delete?key=`, `/clear`. Every answer is bounded at 3 s: `{ hung: true }`.
import { cacheApiStore } from 'steadfetch';

const store = cacheApiStore('harness');

const bounded = async (promise) => {
	let timer;
	const hung = new Promise((resolve) => {
		timer = setTimeout(() => resolve({ hung: true }), 3000);
	});
	try {
		return await Promise.race([promise.then((value) => ({ value: value ?? null })), hung]);
	} catch (error) {
		return { error: String(error) };
	} finally {
		clearTimeout(timer);
	}
};

export default {
	async fetch(request) {
		const url = new URL(request.url);
		const key = url.searchParams.get('key');
		switch (url.pathname) {
			case '/set': {
				const written = store.set(key, { value: url.searchParams.get('value'), bytes: new Uint8Array([1, 2, 3]) });
				if (url.searchParams.get('wait') === '0') {
					written.catch(() => undefined);
					return Response.json({ started: true });
				}

				return Response.json(await bounded(written));
			}

			case '/get':
				return Response.json(await bounded(store.get(key)));
			case '/keys':
				return Response.json(await bounded(store.keys().then((keys) => keys.sort())));
			case '/delete':
				return Response.json(await bounded(store.delete(key)));
			case '/clear':
				return Response.json(await bounded(store.clear()));
			default:
				return new Response('unknown', { status: 404 });
		}
	},
};
