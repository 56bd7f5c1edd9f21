// A flaky API on loopback (a real HTTP server, port 0) that goes through a script of phases.
// It dedupes writes on Idempotency-Key (as a careful server does) and counts what it applied.
import { createServer } from 'node:http';

/** The script: each phase lasts `ms`; `mode` says how the origin behaves. */
export const phases = [
	{ name: 'healthy', ms: 2_000, mode: 'up' },
	{ name: '503 storm', ms: 2_500, mode: '503' },
	{ name: 'hard down: connections refused', ms: 2_000, mode: 'refuse' },
	{ name: 'hard down: requests hang', ms: 2_500, mode: 'hang' },
	{ name: '429 with Retry-After', ms: 2_000, mode: '429' },
	{ name: 'recovery', ms: 4_000, mode: 'up' },
];

export const startFlakyApi = async () => {
	let mode = 'up';
	const stats = { requests: 0, appliedByWrite: new Map(), dedupedByKey: 0 };
	const responsesByKey = new Map();
	const hanging = new Set();
	const items = new Map([1, 2, 3, 4, 5].map((id) => [id, { id, name: `item ${id}`, version: 1 }]));

	const handle = async (request, response) => {
		stats.requests++;
		if (mode === 'hang') {
			hanging.add(response);
			response.on('close', () => hanging.delete(response));
			return;
		}

		if (mode === '503') {
			response.writeHead(503, { 'content-type': 'application/json' });
			response.end('{"error":"overloaded"}');
			return;
		}

		if (mode === '429') {
			response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '2' });
			response.end('{"error":"slow down"}');
			return;
		}

		const url = new URL(request.url, 'http://x');
		if (request.method === 'GET' && url.pathname.startsWith('/items/')) {
			const item = items.get(Number(url.pathname.slice('/items/'.length)));
			response.writeHead(item ? 200 : 404, { 'content-type': 'application/json', 'cache-control': 'max-age=0' });
			response.end(JSON.stringify(item ?? { error: 'not found' }));
			return;
		}

		if (request.method === 'POST' && url.pathname === '/items') {
			let body = '';
			for await (const chunk of request) {
				body += chunk;
			}

			const key = request.headers['idempotency-key'];
			if (key && responsesByKey.has(key)) {
				stats.dedupedByKey++;
				response.writeHead(201, { 'content-type': 'application/json', 'idempotent-replayed': 'true' });
				response.end(responsesByKey.get(key));
				return;
			}

			const { writeId } = JSON.parse(body);
			stats.appliedByWrite.set(writeId, (stats.appliedByWrite.get(writeId) ?? 0) + 1);
			const result = JSON.stringify({ ok: true, writeId });
			if (key) {
				responsesByKey.set(key, result);
			}

			response.writeHead(201, { 'content-type': 'application/json' });
			response.end(result);
			return;
		}

		response.writeHead(404);
		response.end();
	};

	let server = createServer((request, response) => {
		handle(request, response).catch(() => response.destroy());
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address();

	const listen = async () => {
		server = createServer((request, response) => {
			handle(request, response).catch(() => response.destroy());
		});
		await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
	};

	const stop = async () => {
		server.closeAllConnections();
		await new Promise((resolve) => server.close(resolve));
	};

	return {
		url: `http://127.0.0.1:${port}`,
		stats,
		/** Switch the origin's behaviour; 'refuse' closes the listening socket. */
		async setMode(next) {
			for (const response of hanging) {
				response.destroy();
			}

			hanging.clear();
			if (next === 'refuse' && mode !== 'refuse') {
				await stop();
			} else if (mode === 'refuse' && next !== 'refuse') {
				await listen();
			}

			mode = next;
		},
		async close() {
			if (mode !== 'refuse') {
				for (const response of hanging) {
					response.destroy();
				}

				await stop();
			}
		},
	};
};
