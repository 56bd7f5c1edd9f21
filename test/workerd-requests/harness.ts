/**
 * Real request contexts in workerd: each `fetch()` here is one `dispatchFetch` through Miniflare,
 * so each is its own request context, while the Worker's module state (one client per script,
 * created at module scope as a user's Worker does) survives between them. The Worker scripts
 * import the BUILT package (`dist/edge/*.js` through the package's `workerd` export condition,
 * bundled by esbuild as wrangler bundles a user's Worker): run `npm run build` first.
 *
 * Everything workerd and Miniflare print is collected; `crossRequestWarnings()` picks out the
 * messages workerd gives when a promise, stream or I/O object crosses from one request to another,
 * and uncaught errors (nothing may be thrown from a timer or left as an unhandled rejection).
 */
import { build, type BuildOptions } from 'esbuild';
import { Log, LogLevel, Miniflare, type SharedOptions, type WorkerOptions } from 'miniflare';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const root = join(import.meta.dirname, '../..');

/**
 * What workerd says when the rule is broken, and what it says about an uncaught error:
 * - "Cannot perform I/O on behalf of a different request" (an I/O object of another request used),
 * - "This promise was created by a request that has since ended, so it can never settle",
 * - "A promise was resolved or rejected from a different request context" (cross-request promise
 *   resolution: the continuations of the request that made the promise are cancelled),
 * - "your Worker's code had hung" (a request waiting only for what another request would settle is
 *   cancelled as hung),
 * - "Uncaught" (an exception or rejection nobody handled, in a request or a timer).
 */
export const forbidden = /Cannot perform I\/O on behalf of a different request|created by a request that has since ended|resolved or rejected from a different request context|code had hung|Uncaught/;

/**
 * What Miniflare's Cache API logs when a request ended with a `cache.put` still reading its body:
 * the write was cancelled with the request (background work neither finished within the call nor
 * handed to `waitUntil`).
 */
export const dropped = /Can't read from request stream because client disconnected/;

/** A Worker of the harness: its module source (or file), and Miniflare options beside it (bindings). */
export interface WorkerSpec {
	/** The Worker's module, as a user writes it (imports `steadfetch/...`). */
	readonly source?: string;
	/** Or a file (JS or TS) to bundle: a recipe under examples/. */
	readonly file?: string;
	/** Miniflare options for this Worker (durableObjects, compatibilityDate, ...). */
	readonly options?: Partial<WorkerOptions>;
}

export interface Harness {
	/** One request to a Worker (`http://<worker>/<path>`): its own request context. */
	fetch(worker: string, path: string, init?: RequestInit): Promise<Response>;
	/** One request answered as JSON. */
	json<T = Record<string, unknown>>(worker: string, path: string, init?: RequestInit): Promise<T>;
	/** Every line workerd and Miniflare printed, in order. */
	readonly log: readonly string[];
	/**
	 * The lines of `log` from `from` on that match `forbidden`, or `dropped` (unless
	 * `allowDropped`: a test whose own Worker code leaves a write running on purpose).
	 */
	crossRequestWarnings(from?: number, options?: { allowDropped?: boolean }): string[];
	readonly mf: Miniflare;
	dispose(): Promise<void>;
}

/** Bundle a Worker as wrangler does: the package resolved by its `workerd` condition (dist/edge). */
export const bundle = async (spec: WorkerSpec): Promise<string> => {
	if (!existsSync(join(root, 'dist/edge/index.js'))) {
		throw new Error('dist/edge is missing: run `npm run build` before the workerd request tests');
	}

	const common: BuildOptions & { write: false } = {
		bundle: true, write: false, format: 'esm', platform: 'neutral', target: 'es2022',
		conditions: ['workerd', 'worker', 'browser'], mainFields: ['module', 'main'], logLevel: 'error', external: ['cloudflare:*'],
	};
	const result = spec.file
		? await build({ ...common, entryPoints: [spec.file] })
		: await build({ ...common, stdin: { contents: spec.source ?? '', resolveDir: root, loader: 'js', sourcefile: 'worker.js' } });
	return result.outputFiles[0]!.text;
};

class Collect extends Log {
	readonly lines: string[];

	constructor(lines: string[]) {
		super(LogLevel.DEBUG);
		this.lines = lines;
	}

	protected override log(message: string): void {
		this.lines.push(message);
	}
}

/**
 * Start one Miniflare with a Worker per entry of `workers`, each reached as `http://<name>/...`
 * (Miniflare routes by host). Compatibility date 2026-07-01, as the workerd suite uses. `shared`:
 * Miniflare's options for all of them (`cachePersist`: a folder the Cache API outlives this
 * Miniflare in, as a recycled isolate's stored state outlives it).
 */
export const startWorkers = async (workers: Record<string, WorkerSpec>, shared: Partial<SharedOptions> = {}): Promise<Harness> => {
	const lines: string[] = [];
	const scripts = await Promise.all(Object.values(workers).map(bundle));
	const mf = new Miniflare({
		...shared,
		log: new Collect(lines),
		cf: false,
		handleRuntimeStdio(stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) {
			stdout.on('data', (chunk: Buffer) => lines.push(String(chunk)));
			stderr.on('data', (chunk: Buffer) => lines.push(String(chunk)));
		},
		workers: Object.entries(workers).map(([name, spec], index) => ({
			name,
			modules: true,
			script: scripts[index]!,
			compatibilityDate: '2026-07-01',
			routes: [`${name}/*`],
			...spec.options,
		})) as WorkerOptions[],
	});
	await mf.ready;
	// A request that never answers fails its test after 10 s, saying which.
	const fetch = async (worker: string, path: string, init?: RequestInit): Promise<Response> =>
		mf.dispatchFetch(`http://${worker}/${path.replace(/^\//, '')}`, { signal: AbortSignal.timeout(10_000), ...init } as never)
			.catch((error: unknown) => {
				throw new Error(`${worker}/${path} did not answer: ${String(error)}`);
			}) as unknown as Promise<Response>;
	return {
		mf,
		log: lines,
		fetch,
		async json<T>(worker: string, path: string, init?: RequestInit) {
			const response = await fetch(worker, path, init);
			const text = await response.text();
			try {
				return JSON.parse(text) as T;
			} catch {
				throw new Error(`${worker}/${path} answered ${response.status} ${text.slice(0, 500)}`);
			}
		},
		crossRequestWarnings: (from = 0, { allowDropped = false } = {}) => lines.slice(from).filter((line) => forbidden.test(line) || (!allowDropped && dropped.test(line))),
		dispose: async () => mf.dispose(),
	};
};


/** One request the origin received. */
export interface Hit {
	readonly method: string;
	readonly path: string;
	readonly at: number;
	readonly headers: Record<string, string>;
	readonly body: string;
}

/**
 * The upstream the Workers call, on loopback: `/ok/...` answers 200 (`Cache-Control: max-age=0`,
 * storable) unless `down` is set (then 503), `/big/...` the same with a 200 KiB body (teed, not
 * buffered, by the stale cache), `/held/<id>` only once `release(id)` is called. Every request is
 * recorded in `hits`.
 */
export const startOrigin = async () => {
	const { serve } = await import('../helpers/node-server.js');
	const hits: Hit[] = [];
	const gates = new Map<string, { promise: Promise<void>; open: () => void }>();
	const gate = (id: string) => {
		let entry = gates.get(id);
		if (!entry) {
			let open!: () => void;
			const promise = new Promise<void>((resolve) => {
				open = resolve;
			});
			entry = { promise, open };
			gates.set(id, entry);
		}

		return entry;
	};

	const state = { down: false };
	const server = await serve(async (request) => {
		const { pathname } = new URL(request.url);
		const headers: Record<string, string> = {};
		request.headers.forEach((value, key) => {
			headers[key] = value;
		});
		hits.push({ method: request.method, path: pathname, at: performance.now(), headers, body: await request.text() });
		const [, kind, id = ''] = pathname.split('/');
		if (kind === 'held') {
			await gate(id).promise;
		}

		if (state.down) {
			return new Response('down', { status: 503 });
		}

		if (kind === 'made' && request.method === 'POST') {
			// A resource made: its id is the server's (the number of requests seen so far).
			return Response.json({ id: `m${hits.length}` }, { status: 201 });
		}

		const body = kind === 'big' ? 'x'.repeat(200 * 1024) : `hello ${pathname}`;
		return new Response(body, { status: request.method === 'POST' ? 201 : 200, headers: { 'cache-control': 'max-age=0', 'content-type': 'text/plain' } });
	});
	return {
		url: server.url,
		hits,
		state,
		/** Let the requests to `/held/<id>` answer. */
		release: (id: string) => gate(id).open(),
		close: async () => {
			for (const { open } of gates.values()) {
				open();
			}

			await server.close();
		},
	};
};

export type Origin = Awaited<ReturnType<typeof startOrigin>>;

/** Wait until `condition()` holds (checked every 20 ms), at most `ms`. */
export const until = async (condition: () => boolean | Promise<boolean>, ms = 10_000, what = 'the condition'): Promise<void> => {
	const deadline = performance.now() + ms;
	while (!await condition()) {
		if (performance.now() > deadline) {
			throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
		}

		await new Promise((resolve) => setTimeout(resolve, 20));
	}
};
