/**
 * A scripted, seeded chaos API on loopback for the fault suite. It goes through segments of
 * behaviour (503 bursts, 429 with Retry-After, hangs, connection resets mid-body, refused
 * connections, flapping availability, health) and, inside each, picks per-request faults from a
 * seeded random source. It applies writes deduped on Idempotency-Key and counts what it applied.
 *
 * `/docs/<n>` are versioned documents (`ETag: "<version>"`): a PUT applies once per Idempotency-Key
 * when its `If-Match` is current, else 412; `bump(n)` is a second writer changing a document. Each
 * version remembers who made it (the second writer, or the user named by the write's `writeId`,
 * `<user>-w<n>`), so each 412 is told apart by the versions it missed: `conflictsBy`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from './manual-clock.js';

export type ChaosMode = 'ok' | 'burst503' | 'retry429' | 'hang' | 'reset' | 'down' | 'flap';

export interface Segment {
	mode: ChaosMode;
	ms: number;
}

export interface ChaosStats {
	requests: number;
	/** Applied writes by their `writeId`: more than 1 is a duplicate. */
	applied: Map<string, number>;
	/** Replays recognized by their Idempotency-Key and not applied again. */
	deduped: number;
	resets: number;
	hung: number;
	/** Document writes applied, by their `writeId`: more than 1 is a duplicate. */
	docWrites: Map<string, number>;
	/** 412s answered to document writes whose `If-Match` was stale. */
	conflicts: number;
	/**
	 * Those 412s by who made the versions the write missed (between its `If-Match` and the current
	 * one): `second` when the second writer made one of them, else `other` when another user did,
	 * else `self` (the user's own earlier write, applied after the one this write was based on).
	 */
	conflictsBy: { second: number; other: number; self: number };
	/** Document writes applied without an `If-Match`: each one could overwrite another writer's change unseen. */
	blind: number;
	/** Changes made by the second writer. */
	bumps: number;
}

export interface ChaosServer {
	url: string;
	stats: ChaosStats;
	/** The mode now in force. */
	readonly mode: ChaosMode;
	/** A second writer changes document `n` (its version moves on). */
	bump(n: number): void;
	/** Run the script; resolves when the last segment ends. `onSegment` is told each start (ms since start). */
	play(script: Segment[], onSegment?: (segment: Segment, at: number) => void): Promise<void>;
	close(): Promise<void>;
}

export const startChaosServer = async (seed: number): Promise<ChaosServer> => {
	const random = seededRandom(seed);
	const stats: ChaosStats = { requests: 0, applied: new Map(), deduped: 0, resets: 0, hung: 0, docWrites: new Map(), conflicts: 0, conflictsBy: { second: 0, other: 0, self: 0 }, blind: 0, bumps: 0 };
	/** Who made each version of each document (`authors.get(name)[v]`: of version v), for `conflictsBy`. */
	const authors = new Map<string, string[]>();
	const author = (name: string, version: number, who: string) => {
		const list = authors.get(name) ?? [];
		list[version] = who;
		authors.set(name, list);
	};
	const keys = new Map<string, string>();
	const docs = new Map<string, number>();
	const hanging = new Set<ServerResponse>();
	let mode: ChaosMode = 'ok';
	let flapUp = true;

	const json = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
		response.writeHead(status, { 'content-type': 'application/json', ...headers });
		response.end(JSON.stringify(body));
	};

	const serveOk = async (request: IncomingMessage, response: ServerResponse) => {
		const url = new URL(request.url ?? '/', 'http://x');
		const doc = url.pathname.startsWith('/docs/') ? url.pathname.slice(6) : undefined;
		if (doc !== undefined) {
			await serveDoc(request, response, doc);
			return;
		}

		if (request.method === 'GET') {
			json(response, 200, { path: url.pathname, at: stats.requests }, { 'cache-control': 'max-age=0' });
			return;
		}

		let body = '';
		for await (const chunk of request) {
			body += String(chunk);
		}

		const key = request.headers['idempotency-key'];
		if (typeof key === 'string' && keys.has(key)) {
			stats.deduped++;
			json(response, 201, JSON.parse(keys.get(key)!));
			return;
		}

		const { writeId } = JSON.parse(body) as { writeId: string };
		stats.applied.set(writeId, (stats.applied.get(writeId) ?? 0) + 1);
		const result = { ok: true, writeId };
		if (typeof key === 'string') {
			keys.set(key, JSON.stringify(result));
		}

		// A reset after applying: the client never learns it succeeded (the replay must dedupe).
		if (mode === 'reset' && random() < 0.3) {
			stats.resets++;
			response.writeHead(201, { 'content-type': 'application/json', 'content-length': '100' });
			response.write('{"ok":tr');
			response.socket?.destroy();
			return;
		}

		json(response, 201, result);
	};

	const serveDoc = async (request: IncomingMessage, response: ServerResponse, name: string) => {
		const version = docs.get(name) ?? 1;
		if (request.method === 'GET') {
			json(response, 200, { version }, { etag: `"${version}"`, 'cache-control': 'max-age=0' });
			return;
		}

		let body = '';
		for await (const chunk of request) {
			body += String(chunk);
		}

		const key = request.headers['idempotency-key'];
		if (typeof key === 'string' && keys.has(key)) {
			stats.deduped++;
			json(response, 200, JSON.parse(keys.get(key)!));
			return;
		}

		const { writeId } = JSON.parse(body) as { writeId: string };
		const user = writeId.split('-')[0]!;
		const ifMatch = request.headers['if-match'];
		if (ifMatch === undefined) {
			stats.blind++;
		} else if (ifMatch !== `"${version}"`) {
			stats.conflicts++;
			const base = Number(/^"(\d+)"$/.exec(ifMatch)?.[1] ?? 0);
			const missed = Array.from({ length: Math.max(0, version - base) }, (_, index) => authors.get(name)?.[base + 1 + index] ?? 'unknown');
			stats.conflictsBy[missed.includes('second') ? 'second' : missed.length > 0 && missed.every((who) => who === user) ? 'self' : 'other']++;
			json(response, 412, { error: 'precondition failed', version }, { etag: `"${version}"` });
			return;
		}

		stats.docWrites.set(writeId, (stats.docWrites.get(writeId) ?? 0) + 1);
		docs.set(name, version + 1);
		author(name, version + 1, user);
		const result = { ok: true, writeId, version: version + 1 };
		if (typeof key === 'string') {
			keys.set(key, JSON.stringify(result));
		}

		if (mode === 'reset' && random() < 0.3) {
			stats.resets++;
			response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
			response.write('{"ok":tr');
			response.socket?.destroy();
			return;
		}

		json(response, 200, result, { etag: `"${version + 1}"` });
	};

	const handle = async (request: IncomingMessage, response: ServerResponse) => {
		stats.requests++;
		const roll = random();
		switch (mode) {
			case 'burst503': {
				if (roll < 0.85) {
					json(response, 503, { error: 'burst' });
					return;
				}

				break;
			}

			case 'retry429': {
				json(response, 429, { error: 'slow down' }, { 'retry-after': '1' });
				return;
			}

			case 'hang': {
				stats.hung++;
				hanging.add(response);
				response.on('close', () => hanging.delete(response));
				return;
			}

			case 'reset': {
				if (request.method === 'GET' && roll < 0.3) {
					stats.resets++;
					response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
					response.write('{"partial":');
					response.socket?.destroy();
					return;
				}

				break;
			}

			case 'flap': {
				if (!flapUp) {
					response.socket?.destroy();
					return;
				}

				break;
			}

			case 'down': {
				response.socket?.destroy();
				return;
			}

			case 'ok': {
				if (roll < 0.02) {
					json(response, 503, { error: 'blip' });
					return;
				}

				break;
			}
		}

		await serveOk(request, response);
	};

	const listener = (request: IncomingMessage, response: ServerResponse) => {
		handle(request, response).catch(() => response.destroy());
	};

	let server: Server = createServer(listener);
	server.keepAliveTimeout = 1_000;
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	let listening = true;

	const setListening = async (on: boolean) => {
		if (on === listening) {
			return;
		}

		listening = on;
		if (on) {
			server = createServer(listener);
			await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
		} else {
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		}
	};

	const release = () => {
		for (const response of hanging) {
			response.destroy();
		}

		hanging.clear();
	};

	return {
		url: `http://127.0.0.1:${port}`,
		stats,
		get mode() {
			return mode;
		},
		bump(n) {
			stats.bumps++;
			const version = (docs.get(String(n)) ?? 1) + 1;
			docs.set(String(n), version);
			author(String(n), version, 'second');
		},
		async play(script, onSegment) {
			const started = performance.now();
			for (const segment of script) {
				release();
				mode = segment.mode;
				await setListening(segment.mode !== 'down');
				onSegment?.(segment, performance.now() - started);
				if (segment.mode === 'flap') {
					const end = performance.now() + segment.ms;
					while (performance.now() < end) {
						flapUp = !flapUp;
						await setListening(flapUp);
						await new Promise((resolve) => setTimeout(resolve, 100 + Math.floor(random() * 150)));
					}

					flapUp = true;
					await setListening(true);
				} else {
					await new Promise((resolve) => setTimeout(resolve, segment.ms));
				}
			}

			release();
		},
		async close() {
			release();
			if (listening) {
				server.closeAllConnections();
				await new Promise<void>((resolve) => server.close(() => resolve()));
			}
		},
	};
};
