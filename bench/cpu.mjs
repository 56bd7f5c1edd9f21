// Per-call CPU without the network (Node): ky, ky with a hand-written copy (an `afterResponse` hook
// that keeps the bytes of each good GET in a Map: what a user writes to keep a copy, the floor for
// any cache that copies bodies), `steadfetch/core` (no policy, and with `trace()`) and the main
// entry's defaults (breaker, budget, stale cache → memoryStore), each given a `fetch` that answers at
// once, 16 calls in flight, on both workloads of overhead.mjs (64 URLs repeated; every URL new). What
// the loopback bench dilutes — the origin and the socket cost more than any client — shows here: CPU
// µs per call, young-generation collections per 1,000 calls (how much a call allocates) and promises
// made per call (async_hooks, counted in a run of its own: the hook costs CPU). Each client runs in
// its own process (a fresh heap, a fixed 16 MiB young generation so collections count allocation),
// three times in alternating order; the median is reported. Not a substitute for overhead.mjs: a client's share of a real request is this figure
// over the request's whole cost.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { quick, writeResult } from './lib/args.mjs';
import { handCopy } from './lib/hand-copy.mjs';
import { median, round } from './lib/stats.mjs';
import { section, table } from './lib/table.mjs';

const calls = quick ? 20_000 : 60_000;
const runs = 3;
const [mode, client, workload, count, measure] = process.argv.slice(2);

if (mode === '--child') {
	const { default: ky } = await import('ky');
	const { steadfetch, steadfetchCore, steadfetchTrace } = await import('./lib/library.mjs');
	const fetch = async () => new Response('{"id":1,"name":"steadfetch"}', { headers: { 'content-type': 'application/json', 'content-length': '28' } });
	const made = {
		ky: () => ky.create({ fetch }),
		'ky + copy': () => handCopy(ky, { fetch }),
		core: () => steadfetchCore.createClient({ fetch }),
		'core + trace': () => steadfetchCore.createClient({ fetch, trace: steadfetchTrace.trace({ propagateTo: '*' }) }),
		steadfetch: () => steadfetch.createClient({ fetch, name: 'bench-cpu', store: steadfetch.memoryStore }),
	}[client]();
	let fresh = 0;
	const urlOf = workload === 'distinct' ? () => `http://bench.test/item/new-${fresh++}` : (index) => `http://bench.test/item/${index % 64}`;
	const drive = async (total) => {
		let next = 0;
		const worker = async () => {
			while (next < total) {
				await made.get(urlOf(next++)).json();
			}
		};

		await Promise.all(Array.from({ length: 16 }, worker));
	};

	await drive(10_000); // warm-up: compiled code, a full cache index
	if (measure === 'promises') {
		const { createHook } = await import('node:async_hooks');
		let promises = 0;
		const hook = createHook({
			init(_id, type) {
				if (type === 'PROMISE') {
					promises++;
				}
			},
		}).enable();
		await drive(Number(count));
		hook.disable();
		console.log(`RESULT ${JSON.stringify({ promises: promises / Number(count) })}`);
		process.exit(0);
	}

	console.log('--- measured ---');
	const cpu = process.cpuUsage();
	await drive(Number(count));
	const used = process.cpuUsage(cpu);
	console.log(`RESULT ${JSON.stringify({ cpuUs: (used.user + used.system) / Number(count) })}`);
	made.close?.();
	process.exit(0);
}

const self = fileURLToPath(import.meta.url);
const clients = ['ky', 'ky + copy', 'core', 'core + trace', 'steadfetch'];
const results = {};
for (const name of ['repeated', 'distinct']) {
	const samples = Object.fromEntries(clients.map((client_) => [client_, { cpuUs: [], scavenges: [], promises: 0 }]));
	for (const client_ of clients) {
		const child = spawnSync(process.execPath, [self, '--child', client_, name, String(2000), 'promises'], { encoding: 'utf8', env: process.env });
		if (child.status !== 0) {
			console.error(child.stderr);
			process.exit(1);
		}

		samples[client_].promises = JSON.parse(/RESULT (.*)/.exec(child.stdout)[1]).promises;
	}

	for (let run = 0; run < runs; run++) {
		for (const client_ of run % 2 === 0 ? clients : [...clients].reverse()) {
			const child = spawnSync(process.execPath, ['--trace-gc', '--min-semi-space-size=16', '--max-semi-space-size=16', self, '--child', client_, name, String(calls)], { encoding: 'utf8', env: process.env, maxBuffer: 64 * 2 ** 20 });
			if (child.status !== 0) {
				console.error(child.stderr);
				process.exit(1);
			}

			const measured = child.stdout.slice(child.stdout.indexOf('--- measured ---'));
			const { cpuUs } = JSON.parse(/RESULT (.*)/.exec(measured)[1]);
			samples[client_].cpuUs.push(cpuUs);
			samples[client_].scavenges.push((measured.match(/Scavenge/g) ?? []).length * 1000 / calls);
		}
	}

	results[name] = Object.fromEntries(clients.map((client_) => [client_, { cpuUs: round(median(samples[client_].cpuUs)), scavengesPer1000: round(median(samples[client_].scavenges)), promises: round(samples[client_].promises) }]));
}

for (const [name, rows] of Object.entries(results)) {
	const { ky, 'ky + copy': copy } = rows;
	const times = (value, base) => `${(value / base).toFixed(2)}×`;
	section(
		`CPU per call without the network, ${name === 'repeated' ? 'GETs over 64 URLs' : 'every GET a URL never seen before'} (Node ${process.version}, 16 in flight, ${calls} calls, median of ${runs} processes; "ky + copy": ky and an afterResponse hook keeping each good GET's bytes in a Map)`,
		table(['client', 'CPU µs / call', 'vs ky', 'vs ky + copy', 'young-gen GCs / 1,000 calls', 'vs ky', 'vs ky + copy', 'promises / call', 'vs ky'], clients.map((client_) => [
			client_, rows[client_].cpuUs, times(rows[client_].cpuUs, ky.cpuUs), times(rows[client_].cpuUs, copy.cpuUs),
			rows[client_].scavengesPer1000, times(rows[client_].scavengesPer1000, ky.scavengesPer1000), times(rows[client_].scavengesPer1000, copy.scavengesPer1000),
			rows[client_].promises, `${rows[client_].promises >= ky.promises ? '+' : ''}${round(rows[client_].promises - ky.promises)}`,
		])),
		[],
	);
}

writeResult({ name: 'cpu', settings: { calls, runs, concurrency: 16 }, ...results });
