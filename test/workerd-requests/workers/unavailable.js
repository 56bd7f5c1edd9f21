// unavailable() of steadfetch/cloudflare in a Worker: a client at module scope, its refusals
// answered 503 with Retry-After, anything else 502.
import { createClient } from 'steadfetch/core';
import { breaker } from 'steadfetch/breaker';
import { unavailable } from 'steadfetch/cloudflare';

// random 0.5: the open period exactly openMs (each is drawn within ±20 % of its length).
const api = createClient({ retry: 0, random: () => 0.5, breaker: breaker({ consecutiveFailures: 3, openMs: 4_500 }) });

export default {
	async fetch(request) {
		const to = new URL(request.url).searchParams.get('to');
		try {
			return await api.get(to, { throwHttpErrors: false });
		} catch (error) {
			return unavailable(error) ?? new Response('Bad Gateway', { status: 502 });
		}
	},
};
