// Instructions per call without the network, counted by valgrind's callgrind: repeatable for one build
// within a few %, whatever else the machine is doing (loopback and CPU timings on a shared 2-core machine
// move by 2× between runs). What depends on time does not vary with load: our clients run on an injected
// clock that moves 0.05 ms per call (the stale cache copies a URL at most once a second, so the repeated
// URLs are copied in the warm-up, and the copies stored while measuring are counted). Each client runs in its own `node` under callgrind with counting off; after a
// warm-up it asks to be counted, makes `calls` calls (16 in flight, a `fetch` that answers at once),
// and counting stops: the collected total over `calls` is the figure. Clients: ky, ky with a
// hand-written copy of each good GET (the floor for any cache), ky with `totalTimeout: 20_000` (the
// bound steadfetch sets by default: ky's own cost of it), ky configured and called as steadfetch configures
// and calls it (`totalTimeout`, the retry object, a per-call `fetch`: the floor under the core), `steadfetch/core`, the preset's
// defaults (breaker, retry budget, stale cache → memoryStore); workloads: 64 URLs repeated, and every
// URL new. Needs valgrind (`apt-get install -y valgrind`); without it the bench says so and exits 0.
//
//   node bench/instructions.mjs [--calls 2000] [--seeds 3] [--clients ky,core] [--workloads repeated] [--baseline <dist/index.js of another build>]
//   node bench/instructions.mjs --save      a full run that also writes bench/results/instructions.json (the README's figures)
//   node bench/instructions.mjs --readme    print the README's per-call table from bench/results/instructions.json (no valgrind)
//
// BENCH_PRESET_OPTIONS='{"breaker":false}' adds options to the preset's client (an ablation).
// BENCH_CONTEXT=call makes each steadfetch call through a `withContext(ctx)` of its own (a Worker's
// request, its subrequests counted), BENCH_CONTEXT=shared every call through one.
// `--baseline` adds the same clients from another build (side by side, in one run). That build's folder is
// copied into bench/tmp/baseline/ first, so that it imports this checkout's ky, as ours does: a dist/ left in
// another checkout (a git worktree with its own node_modules) loads a second copy of ky in the child, and that
// alone added 7k to 10k steady instructions per call to the baseline's core (one build against itself: 315.2k
// vs 322.9k from another checkout's dist/, 306.5k vs 306.0k from this checkout's own; issue 47's stop 56). An
// ablation measured with the old `--baseline` (a patched build in a worktree) was off by as much.
// Two builds that differ by a few lines can settle in different JIT states: one run's figures repeat
// within ±0.5 k per call for a build, but the preset's repeated-URL figure moved by 13–17 k between
// builds whose only difference ran no instruction in the measured calls (issue 47, a memoryStore change
// with no store operation in that window), seen in `callgrind_annotate` as more IC-miss builtins
// (LoadIC, DefineNamedOwnIC, KeyedLoadIC_Megamorphic) in one build. Check a gain of a few k against
// the work it removes (count the operations), and run the pair again before believing it.
// Minor GC moves the new-URL figures the same way (issue 47, stop 58): a 2,000-call window holds two or three
// scavenges of 35–46 M instructions each (17–23k per call), and a change that moves where they fall moves the
// figure by that much whatever work it does: one empty microtask added per store write measured +13k per call
// (3 seeds); one build measured 450.8k run as this checkout's dist/ and 463.5k copied elsewhere as a second
// build. At `--calls 10000` a scavenge more or less is a fifth of that: check a change on the new-URL path
// there too (the copy of a handed-over record spared: −9.6k at 2,000 calls, −12.3k at 10,000). Stop 59: the
// cache's eviction in one delete measured −8.2k steady and −14.0k in all at 10,000 calls (2 seeds) and +14.1k
// at 2,000 (1 seed) against the same baseline, while the preset's repeated-URL figure, which runs none of it, moved
// 304.8k → 313.1k between the two --save runs. For a change on one path, measure that path alone too
// (bench/store-path.mjs for the cache's write). Four switches for diagnosis, refused with --save:
// BENCH_SIGNAL=1 (each call given an AbortSignal of its own, as TanStack Query gives its queryFn: what the calls of an
// app that aborts cost);
// BENCH_WARMUP=<calls> (3,000 by default; after 20,000 every client's figure is far higher, ky + copy 601k,
// as the heap has grown), BENCH_NO_GC=1 (every GC subtracted, minor collections and incremental marking
// steps too: the calls' work alone); and BENCH_NODE_FLAGS (node/V8 flags for the measured processes, as
// `--min-semi-space-size=16`). Stop 61 of issue 47 found why the minor collections weigh so much: under
// callgrind a process allocates ~50x slower per wall-clock ms, and V8 sizes its young generation from that
// throughput and from how much survives, so keeping or releasing a few objects per call moves every later
// scavenge. Releasing one dead field earlier (a read's cleared deadline timer, `read.timer = undefined`)
// measured +30.9k per call on the preset's repeated URLs (343.7k against 312.8k), none of it work: with
// `--predictable-gc-schedule` the two were 3.2k apart. A read deadline on one shared timer instead of one per
// read measured +30.5k to +41.3k with the default flags (3 seeds, each build in either place), -2.1k with
// `--predictable-gc-schedule`, +0.6k with `--min-semi-space-size=16`; run natively, the two builds'
// scavenges were the same in number and capacity.
// At ab1681f (1 seed each), repeated / new URLs: with a 16 MB young generation ky 244.1k / 244.9k, ky +
// totalTimeout 365.4k, core 342.9k, the preset 296.0k / 454.6k; with BENCH_NO_GC=1 ky 216.1k / 216.0k,
// ky + totalTimeout 231.0k, ky as steadfetch 240.5k, ky + copy 347.4k / 350.1k, core 254.5k / 253.1k, the
// preset 267.5k / 391.4k. Judge a change on the request path on its own path (attribute.mjs,
// store-path.mjs) and with BENCH_NO_GC=1 beside the default figures.
// V8's seeds move a figure too: one build's core measured 304.8k to 314.9k steady instructions per call
// with `--random-seed`/`--hash-seed` 1 to 5 (ky 262.8k to 265.0k, the preset 321.5k to 322.4k; issue 47),
// so each figure is the median of `--seeds` runs (seeds 1, 2, 3 by default; 1 with --quick), and the
// spread (lowest to highest) is printed beside it and saved.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { availableParallelism, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { quick, writeResult } from './lib/args.mjs';
import { inclusiveOf, underCallgrind } from './lib/callgrind.mjs';
import { section, table } from './lib/table.mjs';

const argv = process.argv.slice(2);
const option = (name, fallback) => {
	const at = argv.indexOf(name);
	return at === -1 ? fallback : argv[at + 1];
};

if (argv[0] === '--child') {
	const [, client, workload, count, where] = argv;
	const { default: ky } = await import('ky');
	const { handCopy } = await import('./lib/hand-copy.mjs');
	const dist = where ? pathToFileURL(where).href : process.env.STEADFETCH_DIST ? pathToFileURL(process.env.STEADFETCH_DIST).href : new URL('../dist/index.js', import.meta.url).href;
	const steadfetch = await import(dist);
	const core = await import(new URL('core.js', dist).href);
	const fetch = async () => new Response('{"id":1,"name":"steadfetch"}', { headers: { 'content-type': 'application/json', 'content-length': '28' } });
	// Our clients' clock moves 0.05 ms per call made, not with the wall clock (which callgrind slows ~50× and
	// the machine's load moves): what depends on time — the stale cache copies a URL at most once a second —
	// is the same in every run, and the repeated URLs are copied in the warm-up only (the copies are counted).
	let now = Date.now();
	const clock = { now: () => now };
	const made = {
		ky: () => ky.create({ fetch }),
		// ky with the whole-call bound steadfetch sets by default (`totalTimeout` 20 000 ms): ky's own cost of it.
		'ky + totalTimeout': () => ky.create({ fetch, totalTimeout: 20_000 }),
		'ky + copy': () => handCopy(ky, { fetch }),
		// ky configured as API.md makes steadfetch configure it, and called as steadfetch calls it: `totalTimeout`
		// 20 000 ms, `retry` with full jitter, `retryOnTimeout`, `backoffLimit` and `maxRetryAfter` 30 000 ms and a
		// `shouldRetry`, and each call's options with a `fetch` of its own that puts the call on what ky hands it
		// (steadfetch's, which carries the call to the layers; no method for a get). What ky itself costs for that
		// configuration: the floor under `steadfetch/core` before any code of ours runs (src/core/ky-options.ts).
		// Until issue 47's stop 57 steadfetch passed `{ steadfetch: call, method: 'get' }` and the client's `fetch`
		// on the instance instead: 289.9k per call in one run with 2 seeds, against 283.0k without the method,
		// 282.6k with the call on a per-call `fetch` (the method kept) and 276.9k with nothing per call.
		'ky as steadfetch': () => {
			const instance = ky.create({ totalTimeout: 20_000, retry: { jitter: (delay) => Math.random() * delay, retryOnTimeout: true, backoffLimit: 30_000, maxRetryAfter: 30_000, shouldRetry: async () => undefined } });
			return {
				get: (url) => {
					const call = { url };
					return instance(url, {
						fetch: (request, init) => {
							init.steadfetch = call;
							return fetch(request, init);
						},
					});
				},
			};
		},
		core: () => core.createClient({ fetch, clock, ...JSON.parse(process.env.BENCH_CORE_OPTIONS ?? '{}') }),
		steadfetch: () => steadfetch.createClient({ fetch, clock, name: 'bench-instructions', store: steadfetch.memoryStore, ...JSON.parse(process.env.BENCH_PRESET_OPTIONS ?? '{}') }),
	}[client.replace(/ \(baseline\)$/, '')]();
	let fresh = 0;
	const urlOf = workload === 'distinct' ? () => `http://bench.test/item/new-${fresh++}` : (index) => `http://bench.test/item/${index % 64}`;
	const ctx = { waitUntil() {} };
	const context = made.withContext ? process.env.BENCH_CONTEXT : undefined;
	const shared = context === 'shared' ? made.withContext(ctx) : made;
	const clientOf = context === 'call' ? () => made.withContext(ctx) : () => shared;
	// BENCH_SIGNAL=1: each call with an AbortSignal of its own, as TanStack Query's queryFn gets one (ky and every client).
	const signalOf = process.env.BENCH_SIGNAL ? () => ({ signal: new AbortController().signal }) : () => undefined;
	const drive = async (total) => {
		let next = 0;
		const worker = async () => {
			while (next < total) {
				now += 0.05;
				await clientOf().get(urlOf(next++), signalOf()).json();
			}
		};

		await Promise.all(Array.from({ length: 16 }, worker));
	};

	await drive(Number(process.env.BENCH_WARMUP ?? 3_000)); // Warm-up: compiled code, a full cache view.
	// The copies the stale cache stored during the measured calls (how many of them paid for a copy).
	let copies = 0;
	made.on?.('cache:stored', () => {
		copies++;
	});
	const lines = createInterface({ input: process.stdin });
	const said = (word) => new Promise((resolve) => {
		lines.once('line', (line) => resolve(line === word));
	});
	console.log('READY');
	await said('go');
	copies = 0;
	const started = performance.now();
	await drive(Number(count));
	console.log(`DONE ${copies} ${Math.round(performance.now() - started)}`);
	await said('exit');
	process.exit(0);
}

const saved = new URL('results/instructions.json', import.meta.url);
if (argv.includes('--readme')) {
	const { readmeTable } = await import('./lib/instructions-readme.mjs');
	console.log(readmeTable(JSON.parse(readFileSync(saved, 'utf8'))));
	process.exit(0);
}

const hasValgrind = spawnSync('valgrind', ['--version']).status === 0;
if (!hasValgrind) {
	console.log('instructions: valgrind is not installed (apt-get install -y valgrind); skipped.');
	writeResult({ skipped: 'no valgrind' });
	process.exit(0);
}

const calls = Number(option('--calls', quick ? 500 : 2_000));
/** Each figure is the median over this many V8 seeds (`--random-seed` and `--hash-seed` 1, 2, …). */
const seeds = Number(option('--seeds', quick ? 1 : 3));
/** The baseline build, copied into this checkout (bench/tmp/baseline/) so that it imports this checkout's ky (see the header). */
const baselineOf = (given) => {
	if (given === undefined) {
		return undefined;
	}

	const copy = fileURLToPath(new URL('tmp/baseline/', import.meta.url));
	rmSync(copy, { recursive: true, force: true });
	cpSync(dirname(resolve(given)), copy, { recursive: true });
	return join(copy, basename(given));
};
const baseline = baselineOf(option('--baseline', undefined));
const chosen = option('--clients', 'ky,ky + totalTimeout,ky as steadfetch,ky + copy,core,steadfetch').split(',');
const clients = [...chosen, ...(baseline ? chosen.filter((name) => name === 'core' || name === 'steadfetch').map((name) => `${name} (baseline)`) : [])];
const chosenWorkloads = option('--workloads', 'repeated,distinct').split(',');
const self = fileURLToPath(import.meta.url);
if (argv.includes('--save') && (quick || seeds < 3 || baseline || clients.length !== 6 || chosenWorkloads.length !== 2 || process.env.BENCH_PRESET_OPTIONS || process.env.BENCH_CORE_OPTIONS || process.env.BENCH_CONTEXT || process.env.BENCH_WARMUP || process.env.BENCH_SIGNAL || process.env.BENCH_NO_GC || process.env.BENCH_NODE_FLAGS)) {
	console.error('instructions: --save records the README\'s figures: every client and workload, default options, at least 3 seeds, no --quick or --baseline.');
	process.exit(1);
}

const git = (...args) => spawnSync('git', args, { encoding: 'utf8' }).stdout.trim();
// The commit the measured dist/ was built from: read as the run starts (a commit made during a long run is not it).
const measured = git('rev-parse', '--short', 'HEAD');

/**
 * V8's work that falls in a window by chance rather than by the calls' code (it moves with what was
 * compiled during the warm-up and with the heap's size): optimizing compilation (TurboFan, Maglev), lazy
 * and baseline compilation, and major GC. The inclusive cost of each entry point is subtracted from
 * the total ("steady"); minor GC (scavenges) stays: it follows what the calls allocate.
 */
const unsteady = ['v8::internal::Compiler::CompileOptimized(', 'v8::internal::Runtime_CompileLazy(', 'v8::internal::Runtime_CompileBaseline(', ...(process.env.BENCH_NO_GC ? ['v8::internal::Heap::CollectGarbage(', 'v8::internal::IncrementalMarking::Observer::Step('] : ['v8::internal::Heap::MarkCompact('])];

/**
 * The machine's 1-minute load average, highest as each measurement began and ended. Instructions do not vary with
 * load, but what a call runs can: under callgrind with a load near 12 a call took about 60 ms of wall-clock time,
 * and the preset's new-URL figure measured 713k against 459k with the machine to itself (issue 47, stop 90), as
 * V8 sizes its young generation by allocation per wall-clock ms. A run whose load passed the core count says so,
 * and `--save` refuses it.
 */
const cores = availableParallelism();
let busiest = 0;
const sampleLoad = () => {
	busiest = Math.max(busiest, loadavg()[0]);
};

/** Run one client under callgrind with V8's seeds at `seed`; resolves with instructions per call (in all, and steady) and the copies stored meanwhile (a preset's). */
const measure = async (client, workload, seed) => {
	sampleLoad();
	const where = client.endsWith('(baseline)') ? baseline : process.env.STEADFETCH_DIST ?? '';
	const run = await underCallgrind([...(process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ') : []), '--single-threaded', `--hash-seed=${seed}`, `--random-seed=${seed}`, self, '--child', client, workload, String(calls), where]);
	try {
		if (Number.isNaN(run.total)) {
			throw new Error(`${client} ${workload}: no callgrind total (exit ${run.code}) ${run.stderr.slice(-400)}`);
		}

		sampleLoad();
		const [copies, ms] = run.done.split(' ').map(Number);
		return { perCall: run.total / calls, steady: (run.total - inclusiveOf(run.file, unsteady)) / calls, copies, ms };
	} finally {
		if (!process.env.KEEP_CALLGRIND) rmSync(run.dir, { recursive: true, force: true });
	}
};

/** Steady instructions per call (`unsteady` subtracted): the figures compared and saved. */
const results = {};
/** Instructions per call in all (callgrind's total over the calls). */
const totals = {};
const copies = {};
/** Each figure's lowest and highest steady count over the seeds. */
const spread = {};
/** The middle value of `values` (the lower middle of an even count). */
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
for (const workload of ['repeated', 'distinct']) {
	results[workload] = {};
	totals[workload] = {};
	if (!chosenWorkloads.includes(workload)) {
		continue;
	}

	copies[workload] = {};
	spread[workload] = {};
	for (const client of clients) {
		const runs = [];
		for (let seed = 1; seed <= seeds; seed++) {
			const run = await measure(client, workload, seed);
			runs.push(run);
			console.error(`  ${workload} ${client} (seed ${seed}): ${Math.round(run.steady)} steady instructions per call, ${Math.round(run.perCall)} in all (${run.ms} ms under callgrind${run.copies ? `, ${run.copies} copies stored` : ''})`);
		}

		const steady = runs.map((run) => run.steady);
		const middle = runs.find((run) => run.steady === median(steady));
		results[workload][client] = Math.round(middle.steady);
		totals[workload][client] = Math.round(median(runs.map((run) => run.perCall)));
		copies[workload][client] = middle.copies;
		spread[workload][client] = [Math.round(Math.min(...steady)), Math.round(Math.max(...steady))];
	}
}

const workloads = Object.fromEntries(Object.entries({ repeated: '64 URLs repeated', distinct: 'every URL new' }).filter(([workload]) => chosenWorkloads.includes(workload)));
const ratio = (value, to) => (to ? `${(value / to).toFixed(3)}×` : '');
section(`Steady instructions per call (JIT compilation and major GC subtracted; the median of ${seeds} seed${seeds === 1 ? '' : 's'}), no network (callgrind, ${calls} calls each, 16 in flight)`, table(['client', ...Object.values(workloads), ...Object.keys(workloads).map((workload) => `ratio to ky (${workload === 'repeated' ? 'repeated' : 'new'})`), 'to ky + totalTimeout (repeated)'], clients.map((client) => [
	client,
	...Object.keys(workloads).map((workload) => `${results[workload][client].toLocaleString('en-US')}${seeds > 1 ? ` (${spread[workload][client].map((value) => value.toLocaleString('en-US')).join('–')})` : ''}`),
	...Object.keys(workloads).map((workload) => ratio(results[workload][client], results[workload].ky)),
	ratio(results.repeated[client], results.repeated['ky + totalTimeout']),
])));
if (results.repeated.core && results.repeated['ky as steadfetch']) {
	console.log(`\nsteadfetch/core ÷ ky as steadfetch configures it (our own code's share), repeated URLs: ${(results.repeated.core / results.repeated['ky as steadfetch']).toFixed(3)}×`);
}
if (results.distinct.steadfetch && results.distinct['ky + copy']) {
	console.log(`\nthe preset on new URLs ÷ ky + a hand-written copy: ${(results.distinct.steadfetch / results.distinct['ky + copy']).toFixed(3)}×`);
}

for (const client of clients.filter((name) => name.startsWith('steadfetch'))) {
	console.log(`${client}: copies stored during the measured calls: ${Object.keys(workloads).map((workload) => `${copies[workload][client]} (${workloads[workload]})`).join(', ')}.`);
}

const loaded = busiest > cores;
console.log(`\nload average (1 min) during the run: at most ${busiest.toFixed(2)} on ${cores} cores${loaded ? ': a loaded machine; these figures are not comparable with a run on an idle one (see the header)' : ''}.`);
writeResult({ calls, seeds, results, totals, copies, spread, load: Number(busiest.toFixed(2)), cores });
if (argv.includes('--save') && loaded && !process.env.BENCH_ALLOW_LOAD) {
	console.error(`instructions: not saved: the load average reached ${busiest.toFixed(2)} on ${cores} cores (BENCH_ALLOW_LOAD=1 saves it anyway).`);
	process.exitCode = 1;
} else if (argv.includes('--save')) {
	// The run the README's per-call figures come from (test/node/readme.test.ts checks the README against it).
	const record = {
		date: new Date().toISOString(),
		command: `node bench/instructions.mjs ${argv.join(' ')}`,
		commit: measured,
		node: process.version,
		valgrind: spawnSync('valgrind', ['--version'], { encoding: 'utf8' }).stdout.trim(),
		load: Number(busiest.toFixed(2)),
		cores,
		calls,
		inFlight: 16,
		seeds,
		results,
		totals,
		copies,
		spread,
	};
	mkdirSync(new URL('.', saved), { recursive: true });
	writeFileSync(saved, `${JSON.stringify(record, null, '\t')}\n`);
	console.log(`\nwrote ${fileURLToPath(saved)}; the README's table: node bench/instructions.mjs --readme`);
}
