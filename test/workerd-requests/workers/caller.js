// A client of the app Worker that goes away: `GET /?path=<p>&ms=<ms>` calls the app (service binding
// APP) at `/ended?path=<p>` and gives up after `ms` (its abort reaches the app's `request.signal`,
// with the `enable_request_signal` compatibility flag).
export default {
	async fetch(request, env) {
		const url = new URL(request.url);
		try {
			const response = await env.APP.fetch(`http://app/ended?path=${encodeURIComponent(url.searchParams.get('path'))}`, { signal: AbortSignal.timeout(Number(url.searchParams.get('ms'))) });
			return new Response(`answered ${await response.text()}`);
		} catch (error) {
			return new Response(`gave up: ${error.name}`);
		}
	},
};
