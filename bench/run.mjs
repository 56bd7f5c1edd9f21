// `npm run bench`: builds (npm script), snapshots dist/, then runs each benchmark in its own Node
// process, one after another, and ends with a summary table; everything goes to bench/results.json
// with the machine, its load, the date and the command.
//
//   node bench/run.mjs [overhead] [cpu] [instructions] [store-path] [promises] [outage] [memory] [browser] [throttle] [outbox-scale] [--quick]
//
// overhead.mjs  happy-path µs per request: fetch, ky, ofetch, steadfetch (Node)
// cpu.mjs       CPU µs and young-generation GCs per call without the network: ky, core, steadfetch (Node)
// instructions.mjs  instructions per call without the network, under valgrind's callgrind (needs valgrind)
// store-path.mjs    instructions per write of the stale cache behind the caller, eviction included (callgrind)
// promises.mjs  promises per call without the network (async_hooks): ky, ky + totalTimeout, core, steadfetch
// outage.mjs    time to an answer with the origin hanging or refusing: ky vs steadfetch (Node)
// memory.mjs    heap after 10,000 and 100,000 calls over 10,000 URLs with the cache on (Node)
// browser.mjs   Chromium: stale answer from IndexedDB, outbox vs workbox-background-sync
// throttle.mjs  an origin accepting C/s, demand 10 × C: offered load and goodput without and with
//               adaptiveThrottle() (Node), and 5 Chromium tabs under minRequests each, sharing or not
// outbox-scale.mjs  10,000 writes queued with the API refusing connections, then drained: ms per
//               write by tenth, in Chromium (IndexedDB) and in Node (memory store)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load, machine } from './lib/machine.mjs';
import { snapshotDist } from './lib/snapshot.mjs';
import { section, table } from './lib/table.mjs';

const benches = {
	overhead: { file: 'overhead.mjs', node: ['--expose-gc'] },
	cpu: { file: 'cpu.mjs', node: [] },
	instructions: { file: 'instructions.mjs', node: [] },
	'store-path': { file: 'store-path.mjs', node: [] },
	promises: { file: 'promises.mjs', node: [] },
	outage: { file: 'outage.mjs', node: [] },
	memory: { file: 'memory.mjs', node: ['--expose-gc'] },
	browser: { file: 'browser.mjs', node: [] },
	throttle: { file: 'throttle.mjs', node: [] },
	'outbox-scale': { file: 'outbox-scale.mjs', node: [] },
};

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const chosen = argv.filter((argument) => argument in benches);
const names = chosen.length > 0 ? chosen : Object.keys(benches);
const command = `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`;

const started = new Date();
const loadBefore = load();
const dist = snapshotDist();
const scratch = mkdtempSync(join(tmpdir(), 'steadfetch-bench-'));
console.log(`steadfetch bench — ${started.toISOString()} — ${machine().cpu}, ${machine().cores} cores, Node ${process.version}`);
console.log(`load average (1 min) at start: ${loadBefore.loadavg1} (${loadBefore.perCore} per core)${loadBefore.perCore > 0.5 ? ' — the machine is busy: expect noisy figures' : ''}`);

const results = {};
const failed = [];
for (const name of names) {
	const bench = benches[name];
	const out = join(scratch, `${name}.json`);
	const benchStarted = performance.now();
	const run = spawnSync(process.execPath, [...bench.node, fileURLToPath(new URL(bench.file, import.meta.url)), '--out', out, ...(quick ? ['--quick'] : [])], {
		stdio: 'inherit',
		env: { ...process.env, STEADFETCH_DIST: dist },
	});
	const seconds = Math.round((performance.now() - benchStarted) / 100) / 10;
	if (run.status !== 0) {
		console.error(`✗ ${name} failed (exit ${run.status ?? run.signal}) after ${seconds} s`);
		failed.push(name);
		continue;
	}

	try {
		results[name] = { ...JSON.parse(readFileSync(out, 'utf8')), seconds };
	} catch (error) {
		console.error(`✗ ${name}: no result (${error.message})`);
		failed.push(name);
	}
}

rmSync(scratch, { recursive: true, force: true });
const loadAfter = load();

// The summary: the headline figure of each bench, side by side with what it is compared to.
const rows = [];
const { overhead, cpu, instructions, 'store-path': storePath, promises, outage, memory, browser, throttle, 'outbox-scale': scale } = results;
if (overhead) {
	const us = overhead.usPerRequest;
	rows.push(['Happy path, µs per GET over 64 URLs (16 in flight, Node)', `${us.steadfetch.median}`, `core ${us.core.median} · ky ${us.ky.median} · ky + copy ${us['ky + copy'].median} · ofetch ${us.ofetch.median} · fetch ${us.fetch.median}`, `defaults ${overhead.ratio.steadfetchToKy}× ky (≤ 1.10×), ${overhead.ratio.steadfetchToCopy}× ky + copy, core ${overhead.ratio.coreToKy}× ky (≤ 1.03×) ${overhead.target.met ? '✓' : '✗'}`]);
	const distinct = overhead.distinct;
	rows.push(['Happy path, µs per GET, every URL new', `${distinct.usPerRequest.steadfetch.median}`, `core ${distinct.usPerRequest.core.median} · ky ${distinct.usPerRequest.ky.median} · ky + copy ${distinct.usPerRequest['ky + copy'].median} · fetch ${distinct.usPerRequest.fetch.median}`, `defaults ${distinct.ratio.steadfetchToKy}× ky (≤ 1.25×), ${distinct.ratio.steadfetchToCopy}× ky + copy (≤ 1.15×), core ${distinct.ratio.coreToKy}× ky (≤ 1.03×) ${distinct.target.met ? '✓' : '✗'}`]);
}

if (cpu) {
	for (const workload of ['repeated', 'distinct']) {
		const row = cpu[workload];
		rows.push([`CPU µs per call without the network, ${workload === 'repeated' ? '64 URLs' : 'every URL new'}`, `${row.steadfetch.cpuUs}`, `core ${row.core.cpuUs} · core + trace ${row['core + trace'].cpuUs} · ky ${row.ky.cpuUs} · ky + copy ${row['ky + copy'].cpuUs}`, `defaults ${(row.steadfetch.cpuUs / row.ky.cpuUs).toFixed(2)}× ky, ${(row.steadfetch.cpuUs / row['ky + copy'].cpuUs).toFixed(2)}× ky + copy, core ${(row.core.cpuUs / row.ky.cpuUs).toFixed(2)}× ky; young-gen GCs per 1,000 calls ${row.steadfetch.scavengesPer1000} / ${row.core.scavengesPer1000} / ky ${row.ky.scavengesPer1000} / ky + copy ${row['ky + copy'].scavengesPer1000}; promises per call ${row.steadfetch.promises} / ky ${row.ky.promises} / ky + copy ${row['ky + copy'].promises}`]);
	}
}

if (outage) {
	for (const result of outage.results) {
		const label = result.mode === 'hang' ? 'hanging' : 'refusing';
		rows.push([`Origin ${label}: first call, ms`, `${result.steadfetch.first} (${result.steadfetch.firstOutcome})`, `ky ${result.ky.first} (${result.ky.firstOutcome})`, '']);
		rows.push([`Origin ${label}: next calls, median / p99 ms`, `${result.steadfetch.next.median} / ${result.steadfetch.next.p99} (${result.steadfetch.nextCalls})`, `ky ${result.ky.next.median} / ${result.ky.next.p99} (${result.ky.nextCalls})`, '']);
	}
}

if (browser) {
	rows.push(['Chromium: stale answer from IndexedDB, breaker open, median / p99 ms', `${browser.stale.stale.median} / ${browser.stale.stale.p99}`, `fresh from loopback ${browser.stale.fresh.median} / ${browser.stale.fresh.p99}`, '']);
	const { steadfetch: sf, workbox: wb, count } = browser.outbox;
	rows.push([`Chromium: enqueue ${count} mutations, ms`, `${sf.enqueueTotalMs}`, `Workbox ${wb.enqueueTotalMs}`, `${browser.outbox.enqueueRatio}× (target ≤ 1 ${browser.outbox.target.enqueueAtLeastAsFastAsWorkbox ? '✓' : '✗'})`]);
	rows.push([`Chromium: drain ${count} mutations to loopback, ms`, `${sf.drainTotalMs}`, `Workbox ${wb.drainTotalMs}`, `${Math.round((sf.drainTotalMs / wb.drainTotalMs) * 100) / 100}×`]);
}

if (instructions?.results) {
	for (const workload of ['repeated', 'distinct']) {
		const row = instructions.results[workload];
		rows.push([`Instructions per call without the network (callgrind), ${workload === 'repeated' ? '64 URLs' : 'every URL new'}`, `${row.steadfetch}`, `core ${row.core} · ky ${row.ky} · ky + totalTimeout ${row['ky + totalTimeout']} · ky + copy ${row['ky + copy']}`, `defaults ${(row.steadfetch / row.ky).toFixed(2)}× ky, ${(row.steadfetch / row['ky + copy']).toFixed(2)}× ky + copy; core ${(row.core / row.ky).toFixed(2)}× ky, ${(row.core / row['ky + totalTimeout']).toFixed(2)}× ky + totalTimeout`]);
	}
}

if (storePath?.perWrite) {
	const { ours } = storePath.perWrite;
	rows.push(['Instructions per stale-cache write behind the caller, per new URL (callgrind; GC and JIT subtracted / in all)', `${ours.work} / ${ours.all}`, '', '']);
}

if (promises) {
	for (const workload of ['repeated', 'distinct']) {
		const row = promises[workload];
		rows.push([`Promises per call without the network, ${workload === 'repeated' ? '64 URLs' : 'every URL new'}`, `${row.steadfetch}`, `core ${row.core} · ky ${row.ky} · ky + totalTimeout ${row['ky + totalTimeout']}`, `defaults ky + ${Math.round((row.steadfetch - row.ky) * 100) / 100}, core ky + ${Math.round((row.core - row.ky) * 100) / 100}`]);
	}
}

if (throttle) {
	const { settings, without, with: throttled, targets, met, tabs } = throttle;
	rows.push([`Overload: origin accepting ${settings.capacity}/s, demand ${settings.clients}× that; offered / goodput per second after the first window`, `${throttled.offered} / ${throttled.goodput}`, `without the throttle ${without.offered} / ${without.goodput}`, `offered ≤ ${targets.offered}, goodput ≥ ${targets.goodput} ${met ? '✓' : '✗'}`]);
	rows.push([`Chromium: ${tabs.count} tabs under minRequests each, requests reaching an origin accepting 1/s in ${tabs.seconds} s`, `${tabs.shared.offered} (one name, ${tabs.shared.refused} refused)`, `five names ${tabs.apart.offered} (${tabs.apart.refused} refused)`, '']);
}

if (scale) {
	for (const where of ['chromium', 'node']) {
		const { queued, drained, deliveredOnce } = scale[where] ?? {};
		if (queued) {
			rows.push([`Outbox at scale, ${where === 'chromium' ? 'Chromium (IndexedDB)' : 'Node (memory store)'}: ms per write, first → last tenth of ${scale.count}, queue / drain`, `${queued.perWriteMs[0]} → ${queued.perWriteMs[9]} / ${drained.perWriteMs[0]} → ${drained.perWriteMs[9]}`, '', `delivered once ${deliveredOnce ? '✓' : '✗'}`]);
		}
	}
}

if (memory) {
	const first = memory.points[1];
	const last = memory.points.at(-1);
	rows.push([`Heap after GC, ${first.calls.toLocaleString('en-US')} → ${last.calls.toLocaleString('en-US')} calls over 10,000 URLs, MiB`, `${first.heapUsedMiB} → ${last.heapUsedMiB}`, '', `${memory.bounded ? 'bounded ✓' : 'NOT bounded ✗'} (cache keys ${last.storedKeys}, maxEntries ${memory.settings.maxEntries})${memory.stoppedEarly ? ' — stopped early (time limit)' : ''}`]);
}

const info = machine();
section(
	`Summary (${started.toISOString().slice(0, 10)}, ${info.cpu}, ${info.cores} cores, Node ${process.version}; \`${command}\`)`,
	table(['measure', 'steadfetch', 'compared with', 'ratio / check'], rows),
	[`Load average (1 min): ${loadBefore.loadavg1} at start, ${loadAfter.loadavg1} at the end, on ${info.cores} cores.${Math.max(loadBefore.perCore, loadAfter.perCore) > 0.5 ? ' Busy machine: rerun on a quiet one before quoting.' : ''}`],
);

const file = fileURLToPath(new URL('results.json', import.meta.url));
writeFileSync(file, `${JSON.stringify({
	date: started.toISOString(),
	command,
	machine: info,
	load: { start: loadBefore, end: loadAfter },
	quick,
	library: 'dist/index.js (snapshot taken after the build)',
	results,
	failed,
}, null, '\t')}\n`);
console.log(`\nWrote ${file}`);
if (failed.length > 0) {
	console.error(`Failed: ${failed.join(', ')}`);
	process.exit(1);
}
