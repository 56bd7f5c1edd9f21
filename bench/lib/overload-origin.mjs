// An overloaded origin for bench/throttle.mjs, in its own process (the clients' work is not its):
// `GET /api/<anything>` is accepted (200) while the origin has capacity — a token bucket of
// `capacity` requests a second, refilled continuously, holding at most a tenth of a second's worth —
// and answered 503 beyond it. It counts, per second since the last `{ reset }`, what arrived
// (offered load) and what it accepted (goodput). Other paths serve ORIGIN_STATIC files (the Chromium
// page, same-origin: no CORS preflight). IPC: `{ reset: { capacity } }` → `{ ok }`,
// `{ stats: true }` → `{ stats: [{ offered, ok }, …] }` (one entry per whole second).
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const staticDir = process.env.ORIGIN_STATIC;
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.map': 'application/json' };

let capacity = 40;
let tokens = 0;
let refilled = performance.now();
let started = performance.now();
let seconds = [];

const take = () => {
	const now = performance.now();
	tokens = Math.min(capacity / 10, tokens + ((now - refilled) / 1000) * capacity);
	refilled = now;
	if (tokens >= 1) {
		tokens--;
		return true;
	}

	return false;
};

const server = createServer(async (request, response) => {
	const path = request.url.split('?')[0];
	if (path.startsWith('/api/')) {
		request.resume();
		const second = Math.floor((performance.now() - started) / 1000);
		seconds[second] ??= { offered: 0, ok: 0 };
		seconds[second].offered++;
		if (take()) {
			seconds[second].ok++;
			response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
		} else {
			response.writeHead(503, { 'content-type': 'application/json' }).end('{"overloaded":true}');
		}

		return;
	}

	const file = normalize(join(staticDir ?? '/nonexistent', path === '/' ? 'index.html' : path));
	try {
		if (!staticDir || !file.startsWith(normalize(staticDir))) {
			throw new Error('not a static file');
		}

		const body = await readFile(file);
		response.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body);
	} catch {
		response.writeHead(404).end();
	}
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));

process.on('message', (message) => {
	if (message.reset) {
		capacity = message.reset.capacity;
		tokens = capacity / 10;
		refilled = started = performance.now();
		seconds = [];
		process.send({ ok: true });
	} else if (message.stats) {
		const whole = Math.floor((performance.now() - started) / 1000);
		process.send({ stats: Array.from({ length: whole }, (_, index) => seconds[index] ?? { offered: 0, ok: 0 }) });
	}
});
process.on('disconnect', () => {
	server.closeAllConnections();
	server.close();
});
