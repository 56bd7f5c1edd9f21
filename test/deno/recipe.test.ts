// The README's Deno recipe as a user runs it: examples/deno/main.ts and deno.json (what the README
// includes) in a directory of their own, whose node_modules holds what `npm install steadfetch` puts
// there (the files the package ships, and ky and idb-keyval), type-checked (`deno check`) and run with
// the README's own `deno run …` line, its permissions and nothing more. Only the API's URL (and the
// port, so that parallel runs do not collide) differ: a loopback origin that answers, then goes down.
declare const Deno: {
	test(definition: { name: string; fn: () => Promise<void>; sanitizeOps?: boolean; sanitizeResources?: boolean }): void;
	serve(options: { port: number; hostname: string; onListen?: () => void }, handler: (request: Request) => Response): { addr: { port: number }; shutdown(): Promise<void> };
	listen(options: { port: number; hostname: string }): { addr: { port: number }; close(): void };
	readTextFile(path: string): Promise<string>;
	writeTextFile(path: string, text: string): Promise<void>;
	readDir(path: string): AsyncIterable<{ name: string; isDirectory: boolean; isSymlink: boolean }>;
	realPath(path: string): Promise<string>;
	mkdir(path: string, options?: { recursive?: boolean }): Promise<void>;
	copyFile(from: string, to: string): Promise<void>;
	makeTempDir(options?: { dir?: string; prefix?: string }): Promise<string>;
	remove(path: string, options?: { recursive?: boolean }): Promise<void>;
	execPath(): string;
	env: { toObject(): Record<string, string> };
	Command: new (command: string, options: { args: string[]; cwd?: string; env?: Record<string, string>; clearEnv?: boolean; stdout: 'piped' | 'null'; stderr: 'piped' }) => {
		output(): Promise<{ code: number; stdout: Uint8Array; stderr: Uint8Array }>;
		spawn(): { status: Promise<{ code: number }>; stderr: ReadableStream<Uint8Array>; kill(signal?: string): void };
	};
};

const check = (value: unknown, message: string): void => {
	if (!value) {
		throw new Error(message);
	}
};

/** `from` copied to `to`, directories recursively, symbolic links followed (as npm installs them: real files). */
const copy = async (from: string, to: string): Promise<void> => {
	const source = await Deno.realPath(from);
	let entries: Array<{ name: string; isDirectory: boolean }> | undefined;
	try {
		entries = [];
		for await (const entry of Deno.readDir(source)) {
			entries.push(entry);
		}
	} catch {
		entries = undefined; // a file
	}

	if (!entries) {
		await Deno.mkdir(to.slice(0, to.lastIndexOf('/')), { recursive: true });
		await Deno.copyFile(source, to);
		return;
	}

	await Deno.mkdir(to, { recursive: true });
	for (const entry of entries) {
		await copy(`${source}/${entry.name}`, `${to}/${entry.name}`);
	}
};

/** A port nobody listens on now. */
const freePort = (): number => {
	const listener = Deno.listen({ port: 0, hostname: '127.0.0.1' });
	const { port } = listener.addr;
	listener.close();
	return port;
};

Deno.test({
	name: 'README Deno recipe: deno.json and main.ts as printed, `deno check`, then the README\'s `deno run` line: answers fresh, then stale from the Cache API when the API is down, also after a restart (the copy is on disk)',
	sanitizeOps: false,
	sanitizeResources: false,
	async fn() {
		const readme = await Deno.readTextFile('README.md');
		const run = /^deno run (.+) main\.ts$/m.exec(readme);
		check(run, 'README.md has no `deno run … main.ts` line');
		const pkg = JSON.parse(await Deno.readTextFile('package.json')) as { files: string[] };

		let hits = 0;
		const api = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, (request) => {
			hits++;
			return new URL(request.url).pathname === '/v1/items' ? Response.json([1, 2, 3]) : new Response('Not Found', { status: 404 });
		});
		const origin = `127.0.0.1:${api.addr.port}`;
		const port = freePort();

		const dir = await Deno.makeTempDir({ dir: 'test-results', prefix: 'deno-recipe-' });
		let child: ReturnType<InstanceType<typeof Deno.Command>['spawn']> | undefined;
		let exited: number | undefined;
		try {
			// The recipe's two files, as the README prints them, with the API's URL (and the port) of this test.
			const main = await Deno.readTextFile('examples/deno/main.ts');
			const ours = main.replace("'https://api.example.com/", `'http://${origin}/`).replace('port: 8000', `port: ${port}`);
			check(ours !== main && !ours.includes('api.example.com') && !ours.includes('8000'), 'main.ts names https://api.example.com/ and port 8000 once each');
			await Deno.writeTextFile(`${dir}/main.ts`, ours);
			await copy('examples/deno/deno.json', `${dir}/deno.json`);
			// What `npm install steadfetch` leaves: package.json, and node_modules with the package's files and its two dependencies.
			await Deno.writeTextFile(`${dir}/package.json`, JSON.stringify({ dependencies: { steadfetch: '^0.1.0' } }));
			for (const file of ['package.json', ...pkg.files]) {
				await copy(file, `${dir}/node_modules/steadfetch/${file}`);
			}

			for (const dependency of ['ky', 'idb-keyval']) {
				await copy(`node_modules/${dependency}`, `${dir}/node_modules/${dependency}`);
			}

			// A Deno directory of its own: no module or Cache API data of another run.
			const env = { ...Deno.env.toObject(), DENO_DIR: `${dir}/.deno`, NO_COLOR: '1' };
			const typed = await new Deno.Command(Deno.execPath(), { args: ['check', 'main.ts'], cwd: dir, env, stdout: 'piped', stderr: 'piped' }).output();
			check(typed.code === 0, `deno check main.ts: ${new TextDecoder().decode(typed.stderr)}`);

			const flags = run![1]!.split(/\s+/).map((flag) => flag.replace('api.example.com', origin).replace('0.0.0.0:8000', `0.0.0.0:${port}`));
			check(flags.join(' ') !== run![1], 'the flags name api.example.com and 0.0.0.0:8000');
			let errors: Promise<string> = Promise.resolve('');
			const start = (): void => {
				const started = new Deno.Command(Deno.execPath(), { args: ['run', ...flags, 'main.ts'], cwd: dir, env, stdout: 'null', stderr: 'piped' }).spawn();
				exited = undefined;
				void started.status.then(({ code }) => {
					if (child === started) {
						exited = code;
					}
				});
				errors = new Response(started.stderr).text();
				child = started;
			};

			start();

			/** The recipe's answer: asked again until it answers, while it starts, and (once) while its copy is written. */
			const ask = async (until: (body: { count: number; stale: boolean }) => boolean): Promise<{ count: number; stale: boolean }> => {
				const deadline = Date.now() + 60_000;
				for (;;) {
					check(exited === undefined, `deno run ${flags.join(' ')} main.ts exited (${exited}): ${exited === undefined ? '' : await errors}`);
					const body = await fetch(`http://127.0.0.1:${port}/`).then(async (response) => (response.ok ? await response.json() : undefined), () => undefined);
					if (body && until(body)) {
						return body;
					}

					check(Date.now() < deadline, `no such answer from the recipe within 60 s (last: ${JSON.stringify(body)})`);
					await new Promise((resolve) => setTimeout(resolve, 50));
				}
			};

			const fresh = await ask(() => true);
			check(JSON.stringify(fresh) === '{"count":3,"stale":false}', `up: ${JSON.stringify(fresh)}`);
			check(hits === 1, `the API was asked ${hits} times`);
			await api.shutdown();
			// Down: the copy of the last answer, from Deno's Cache API.
			const stale = await ask((body) => body.stale);
			check(stale.count === 3, `down: ${JSON.stringify(stale)}`);

			// The README's "Where it keeps what it stores": Deno's Cache API is on disk, under `deno info`'s
			// "Web cache storage" (location_data/web_cache/), and a new process of the same main.ts answers from the copy the first stored.
			const stopped = child!;
			stopped.kill('SIGTERM');
			await stopped.status;
			// Where `deno info` says the Web cache storage is (with the DENO_DIR of the recipe's process): one folder, the main module's.
			const info = new TextDecoder().decode((await new Deno.Command(Deno.execPath(), { args: ['info'], cwd: dir, env, stdout: 'piped', stderr: 'piped' }).output()).stdout);
			const storage = /^Web cache storage: (.+)$/m.exec(info)?.[1]?.trim();
			check(storage?.endsWith('/location_data/web_cache'), `deno info: ${info}`);
			const folders: string[] = [];
			for await (const entry of Deno.readDir(storage!.startsWith('/') ? storage! : `${dir}/${storage}`)) {
				folders.push(entry.name);
			}

			check(folders.length === 1, `web_cache holds ${JSON.stringify(folders)}`);
			start();
			const restarted = await ask(() => true);
			check(JSON.stringify(restarted) === '{"count":3,"stale":true}', `after a restart, the API down: ${JSON.stringify(restarted)}`);
		} finally {
			if (child) {
				try {
					child.kill('SIGTERM');
				} catch {
					// It had exited already.
				}

				await child.status;
			}

			await api.shutdown().catch(() => undefined);
			await Deno.remove(dir, { recursive: true });
		}
	},
});
