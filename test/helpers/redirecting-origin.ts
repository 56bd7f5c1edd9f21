/**
 * A loopback origin that redirects: `GET /me` is answered 302 to `/users/42`; any other GET (`/users/42`'s) with the body
 * `v<n>` and `Cache-Control: max-age=60`, n the writes it took + 1 (a write: any other method, any path, answered 204).
 * The stale cache's read-your-own-writes tests share it (a copy of `/me` the origin answered from `/users/42`).
 */
import { afterAll, beforeAll } from 'vitest';
import { serve, type RunningServer } from './node-server.js';

export interface RedirectingOrigin {
	/** The origin's URL, no trailing slash (set once the file's tests begin). */
	readonly url: string;
	/** How many GETs (not of `/me`) reached `hold`'s gate since it was set. */
	readonly gated: number;
	/** How many GETs (not of `/me`) were answered since `hold` was last called. */
	readonly answered: number;
	/**
	 * Hold the answers of GETs (not of `/me`) until the function returned is called: each takes its body first (an
	 * answer older than a write meanwhile). The counts start over.
	 */
	hold(): () => void;
}

/** The origin of a test file: it starts before the file's tests and stops after them. */
export const useRedirectingOrigin = (): RedirectingOrigin => {
	let server: RunningServer | undefined;
	let version = 1;
	let gate: Promise<void> | undefined;
	let gated = 0;
	let answered = 0;
	beforeAll(async () => {
		server = await serve(async (request) => {
			const { pathname } = new URL(request.url);
			if (pathname === '/me' && request.method === 'GET') {
				return new Response(null, { status: 302, headers: { location: '/users/42' } });
			}

			if (request.method !== 'GET') {
				version++;
				return new Response(null, { status: 204 });
			}

			const body = `v${version}`;
			if (gate) {
				gated++;
				await gate;
			}

			answered++;
			return new Response(body, { headers: { 'cache-control': 'max-age=60' } });
		});
	});
	afterAll(async () => server?.close());
	return {
		get url() {
			return server!.url;
		},
		get gated() {
			return gated;
		},
		get answered() {
			return answered;
		},
		hold() {
			let open = (): void => {};
			gated = 0;
			answered = 0;
			gate = new Promise((resolve) => {
				open = resolve;
			});
			return () => {
				gate = undefined;
				open();
			};
		},
	};
};
