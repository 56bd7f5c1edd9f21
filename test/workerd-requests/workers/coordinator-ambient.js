// The coordinator's own waitUntil (what holds a failure's report for a call without one): made in a
// request and used at once, as by a client the first request creates (it needs env) whose first call
// fails at once. `GET /?to=<url>`: holds a fetch of `to` that starts 100 ms after the response.
import { coordinator } from 'steadfetch/cloudflare';

const namespace = { idFromName: (name) => name, get: () => ({ fetch: async () => new Response('{}') }) };

export default {
	async fetch(request) {
		const to = new URL(request.url).searchParams.get('to');
		const shared = coordinator(namespace);
		shared.waitUntil?.(new Promise((resolve) => setTimeout(resolve, 100)).then(async () => (await fetch(to)).text()));
		return new Response(shared.waitUntil ? 'held' : 'none');
	},
};
