// `npm run demo`: the same small app (reads and writes from a few users) runs through a flaky API's
// script of phases with plain ky and with steadfetch side by side (each against its own copy of the
// API, at the same time), then prints a table of what happened and what its surprising rows mean.
// Every number is counted from what happened in this run.
//
//   node demo/run.mjs [--seed N] [--json [file]]
//
// It runs on the built dist/: `npm run demo` builds it first when src/ is newer (scripts/build-if-stale.mjs).
import { writeFileSync } from 'node:fs';
import ky from 'ky';
import { createClient, isStale, memoryStore, outbox, OutboxQueuedError } from '../dist/index.js';
import { phases, startFlakyApi } from './flaky-api.mjs';

const argv = process.argv.slice(2);
const flag = (name) => argv.indexOf(name);
const seed = flag('--seed') === -1 ? 1 : Number(argv[flag('--seed') + 1]);
const jsonAt = flag('--json');
const jsonFile = jsonAt !== -1 && argv[jsonAt + 1] && !argv[jsonAt + 1].startsWith('--') ? argv[jsonAt + 1] : undefined;
if (!Number.isInteger(seed)) {
	console.error('--seed takes an integer');
	process.exit(2);
}

/** mulberry32: a small seeded random source, so `--seed` repeats the random choices (the counts still vary with timing). */
const seeded = (value) => {
	let state = value >>> 0;
	return () => {
		state = (state + 0x6d_2b_79_f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
	};
};

const users = 4;
/** The items users read (`items/1` to `items/5`). */
const items = 5;
const thinkMs = 120;
/** The same settings for both: 800 ms per attempt, 2 retries, backoff capped at 2 s. */
const shared = { timeout: 800, retry: { limit: 2, backoffLimit: 2_000 } };
/** steadfetch's settings that differ from its defaults, tuned so that the story fits in the script's 15 s (`outbox`: the options of `outbox()`). */
const tuned = {
	breaker: { consecutiveFailures: 5, openMs: 1_000, maxOpenMs: 4_000 },
	outbox: { baseBackoffMs: 250, maxBackoffMs: 2_000 },
};
/** A read answered fresh after this long waited through retries or a Retry-After. */
const longWaitMs = 1_000;
const quiet = jsonAt !== -1 && !jsonFile;
const log = (...parts) => {
	if (!quiet) {
		console.log(...parts);
	}
};

const sleep = async (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms) => `${Number((ms / 1_000).toFixed(1))} s`;
/** A number as in code: 300_000. */
const code = (value) => String(value).replace(/\B(?=(\d{3})+$)/g, '_');
const plural = (count, word) => `${count} ${word}${count === 1 ? '' : 's'}`;

const percentile = (values, p) => {
	if (values.length === 0) {
		return 0;
	}

	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

/** One client's run: its own API, its users' loops, its counts, and the notes of the current phase. */
const session = async (label, makeClient) => {
	const api = await startFlakyApi();
	const random = seeded(seed);
	const result = {
		calls: 0, readsFresh: 0, readsFreshAfterLongWait: 0, readsFreshInRecovery: 0, readsStale: 0, readsStaleInRecovery: 0, readsFailed: 0,
		readsFailedAfterBreakerOpened: 0, writesAcknowledged: 0, writesQueued: 0, writesFailed: 0, writes: [], waits: [], retries: 0,
		/** The items answered fresh at least once: steadfetch has a copy of each. */
		itemsReadFresh: new Set(),
	};
	const notes = [];
	let phase = phases[0];
	let breakerOpened = false;
	const { client, finish } = makeClient(api.url, random, result, (text) => notes.push(text), () => {
		breakerOpened = true;
	});
	let running = true;

	const oneCall = async (user) => {
		const started = performance.now();
		result.calls++;
		if (random() < 0.7) {
			const id = 1 + Math.floor(random() * items);
			try {
				const response = await client.get(`items/${id}`);
				await response.json();
				if (isStale(response)) {
					result.readsStale++;
					result.readsStaleInRecovery += phase === phases.at(-1) ? 1 : 0;
				} else {
					result.readsFresh++;
					result.itemsReadFresh.add(id);
					result.readsFreshAfterLongWait += performance.now() - started > longWaitMs ? 1 : 0;
					result.readsFreshInRecovery += phase === phases.at(-1) ? 1 : 0;
				}
			} catch {
				result.readsFailed++;
				if (breakerOpened) {
					result.readsFailedAfterBreakerOpened++;
				}
			}
		} else {
			const writeId = `${label}-${user}-${result.writes.length}`;
			result.writes.push(writeId);
			try {
				await client.post('items', { json: { writeId, user } });
				result.writesAcknowledged++;
			} catch (error) {
				if (error instanceof OutboxQueuedError) {
					result.writesQueued++;
				} else {
					result.writesFailed++;
				}
			}
		}

		result.waits.push(performance.now() - started);
	};

	let loops = [];
	/** Counts at the start of the phase, to tell what happened in it. */
	let before = { ...result, ended: 0 };
	/** What each phase's calls ended in, in order. */
	const byPhase = [];
	return {
		label,
		notes,
		/** Every item answered fresh at least once. */
		readEveryItem: () => result.itemsReadFresh.size === items,
		start() {
			loops = Array.from({ length: users }, async (_, user) => {
				while (running) {
					await oneCall(user);
					await sleep(thinkMs);
				}
			});
		},
		async enter(next) {
			phase = next;
			before = { ...result, ended: result.waits.length };
			await api.setMode(next.mode);
		},
		/** The users stop: each call in flight ends first. */
		async halt() {
			running = false;
			await Promise.all(loops);
		},
		/**
		 * What the calls that ended in the phase just over ended in (every call ends in exactly one of
		 * answered, stale, queued and failed), the retries sent in it, then the client's own notes.
		 */
		report() {
			const delta = (key) => result[key] - before[key];
			const counts = {
				ended: result.waits.length - before.ended,
				answered: delta('readsFresh') + delta('writesAcknowledged'),
				stale: delta('readsStale'),
				queued: delta('writesQueued'),
				failed: delta('readsFailed') + delta('writesFailed'),
				retries: delta('retries'),
			};
			byPhase.push(counts);
			return { counts, notes: notes.splice(0) };
		},
		async stop() {
			await this.halt();
			await finish?.();
			await api.close();
			const applied = api.stats.appliedByWrite;
			return {
				client: label,
				callsMade: result.calls,
				readsFresh: result.readsFresh,
				readsFreshAfterLongWait: result.readsFreshAfterLongWait,
				readsFreshInRecovery: result.readsFreshInRecovery,
				readsStale: result.readsStale,
				readsStaleInRecovery: result.readsStaleInRecovery,
				readsFailed: result.readsFailed,
				readsFailedAfterBreakerOpened: breakerOpened ? result.readsFailedAfterBreakerOpened : null,
				writesAcknowledged: result.writesAcknowledged,
				writesQueued: result.writesQueued,
				writesFailed: result.writesFailed,
				writesLost: result.writes.filter((id) => !applied.has(id)).length,
				writesAppliedTwice: [...applied.values()].filter((count) => count > 1).length,
				requestsReachingServer: api.stats.requests,
				retriesSent: result.retries,
				waitMedianMs: Math.round(percentile(result.waits, 50)),
				waitP99Ms: Math.round(percentile(result.waits, 99)),
				byPhase,
			};
		},
	};
};

/** Plain ky with the same timeout and retry settings (and the same seeded jitter). */
const withKy = (url, random, result) => ({
	client: ky.create({
		baseUrl: url + '/', ...shared,
		retry: { ...shared.retry, jitter: (delay) => random() * delay },
		hooks: { beforeRetry: [() => void result.retries++] },
	}),
});

/** steadfetch with everything on: breaker, retry budget, stale cache, outbox, in memory. */
const withSteadfetch = (url, random, result, note, opened) => {
	const client = createClient({
		baseUrl: url + '/', ...shared, ...tuned,
		outbox: outbox(tuned.outbox),
		random,
		store: memoryStore,
		name: `demo-${seed}`,
	});
	client.on('retry', () => void result.retries++);
	client.on('breaker:open', opened);
	client.on('breaker:open', (event) => note(`breaker opened (${event.reason}): reads answer stale, writes queue, for ${seconds(event.reopensAt - event.time)}`));
	client.on('breaker:half-open', () => note('breaker half-open: one probe goes out'));
	client.on('breaker:closed', (event) => note(`breaker closed (${event.reason})`));
	client.on('budget:exhausted', (event) => note(`retry budget refused a retry (${event.retries}/${event.allowed} in the window)`));
	let replayed = 0;
	client.on('outbox:sent', () => void replayed++);
	return {
		client,
		async finish() {
			// The origin is back: give the outbox its chance to deliver what it holds.
			const deadline = performance.now() + 10_000;
			while (await client.outbox.size() > 0 && performance.now() < deadline) {
				await client.outbox.flush();
				await sleep(100);
			}

			const pending = await client.outbox.size();
			const dead = (await client.outbox.deadLetters()).length;
			note(`outbox: ${replayed} queued writes replayed, ${pending} pending, ${dead} dead letters`);
			client.close();
		},
	};
};

const total = phases.reduce((sum, phase) => sum + phase.ms, 0);
log(`steadfetch demo (seed ${seed}): ${users} users, each making its next call ${thinkMs} ms after the last one returned`);
log(`(70 % reads, 30 % writes), for ${seconds(total)} through a flaky API on loopback:`);
log(`${phases.map((phase) => phase.name).join(' → ')}.`);
log('ky and steadfetch run side by side, each against its own copy of the API.\n');
log(`Both clients: { timeout: ${code(shared.timeout)}, retry: { limit: ${shared.retry.limit}, backoffLimit: ${code(shared.retry.backoffLimit)} } } (ms)`);
log(`steadfetch also: breaker: { consecutiveFailures: ${tuned.breaker.consecutiveFailures}, openMs: ${code(tuned.breaker.openMs)}, maxOpenMs: ${code(tuned.breaker.maxOpenMs)} },`);
log(`                 outbox: outbox({ baseBackoffMs: ${code(tuned.outbox.baseBackoffMs)}, maxBackoffMs: ${code(tuned.outbox.maxBackoffMs)} })`);
log(`  tuned so the story fits in ${seconds(total)} (defaults: openMs 5_000, maxOpenMs 300_000, baseBackoffMs 1_000,`);
log('  maxBackoffMs 300_000); the retry budget and the stale cache at their defaults; state in memory.\n');

const sessions = [await session('ky', withKy), await session('steadfetch', withSteadfetch)];
const started = performance.now();
for (const run of sessions) {
	run.start();
}

/** The columns of a phase's rows: the calls that ended in the phase, by how they ended, and the retries sent in it. */
const columns = [['ended', 'calls ended'], ['answered', 'answered'], ['stale', 'stale'], ['queued', 'queued'], ['failed', 'failed'], ['retries', 'retries sent']];
const row = (label, cells) => `         ${label.padEnd(11)}${cells.map((cell, index) => String(cell).padStart(columns[index][1].length + 2)).join('')}`;
log('Each phase: the calls that ended in it, by how they ended (a fresh answer or acknowledged write, a stale');
log('copy, a write queued for replay, an error to the user), and the retries sent in it.\n');
for (const [index, phase] of phases.entries()) {
	await Promise.all(sessions.map(async (run) => run.enter(phase)));
	log(`${seconds(performance.now() - started).padStart(7)}  phase ${index + 1}/${phases.length}: ${phase.name} (${seconds(phase.ms)})`);
	await sleep(phase.ms);
	if (index === 0) {
		// The story starts with a copy of every item: on a busy machine the healthy phase lasts until every item has been
		// read once (so a read after the breaker opened fails only if steadfetch breaks its promise, not for want of a copy).
		const deadline = performance.now() + 10_000;
		while (!sessions.every((run) => run.readEveryItem()) && performance.now() < deadline) {
			await sleep(20);
		}
	}

	if (index === phases.length - 1) {
		await Promise.all(sessions.map(async (run) => run.halt())); // the last calls end in the last phase
	}

	log(row('', columns.map(([, title]) => title)));
	for (const run of sessions) {
		const { counts, notes } = run.report();
		log(row(run.label, columns.map(([key]) => counts[key])));
		for (const line of notes) {
			log(`         ${''.padEnd(11)} ${line}`);
		}
	}
}

const [kyResult, steadResult] = await Promise.all(sessions.map(async (run) => run.stop()));
for (const run of sessions) {
	for (const line of run.notes) {
		log(`         ${run.label.padEnd(11)} ${line}`);
	}
}

const rows = [
	['calls made', 'callsMade'],
	['reads answered fresh', 'readsFresh'],
	['reads answered stale', 'readsStale'],
	['reads failed', 'readsFailed'],
	['  … after the breaker opened', 'readsFailedAfterBreakerOpened'],
	['writes acknowledged', 'writesAcknowledged'],
	['writes queued for replay', 'writesQueued'],
	['writes failed (error to the user)', 'writesFailed'],
	['writes lost', 'writesLost'],
	['writes applied twice', 'writesAppliedTwice'],
	['requests that reached the server', 'requestsReachingServer'],
	['retries sent', 'retriesSent'],
	['user wait, median (ms)', 'waitMedianMs'],
	['user wait, p99 (ms)', 'waitP99Ms'],
];
const summary = { seed, phases: phases.map(({ name, ms }) => ({ name, ms })), settings: { ...shared, steadfetch: tuned }, ky: kyResult, steadfetch: steadResult };
if (!quiet) {
	console.log(`\n${''.padEnd(36)}${'ky'.padStart(10)}${'steadfetch'.padStart(12)}`);
	for (const [label, key] of rows) {
		const show = (value) => (value === null ? '—' : String(value));
		console.log(`${label.padEnd(36)}${show(kyResult[key]).padStart(10)}${show(steadResult[key]).padStart(12)}`);
	}

	// The rows that surprise, explained with this run's own numbers.
	const ratio = (steadResult.callsMade / kyResult.callsMade).toFixed(1);
	const fewer = steadResult.readsFresh < kyResult.readsFresh;
	// What this run's recovery did: a breaker still open after the origin came back, or a probe that got through at once.
	const recovery = steadResult.readsStaleInRecovery > 0
		? `When the origin
  came back, steadfetch's breaker stayed open until its open period ended (it doubles on each
  failed probe) and its probe succeeded: meanwhile ${plural(steadResult.readsStaleInRecovery, 'read')} got the stored copy, where
  ky, which asks the origin every time, got fresh answers.`
		: `When the origin
  came back, steadfetch's probe got through at once (no read got the stored copy after that): its
  reads while the origin was down were answered from the copy at once, not fresh.`;
	console.log(`
Reading the table:
- calls made: a user makes its next call ${thinkMs} ms after the last one returned. While the origin is
  down, steadfetch answers at once (a stale copy, a queued write) where ky waits through timeouts,
  retries and Retry-After, so steadfetch's users made ${ratio}× as many calls in the same ${seconds(total)}.
- requests that reached the server: ${kyResult.requestsReachingServer} for ky, ${steadResult.requestsReachingServer} for steadfetch's ${ratio}× calls: the breaker
  and the retry budget keep steadfetch off a failing origin.
- reads answered fresh: ${fewer ? 'fewer for steadfetch although it made more calls' : 'steadfetch made more calls, not all of them fresh'}. ${recovery}
  ky holds a read through its retries until the origin answers: ${kyResult.readsFreshAfterLongWait} of ky's fresh reads had
  waited over ${seconds(longWaitMs)} (steadfetch: ${steadResult.readsFreshAfterLongWait}), where steadfetch answers at once from its copy.`);
}

if (jsonAt !== -1) {
	const text = JSON.stringify(summary, null, 2);
	if (jsonFile) {
		writeFileSync(jsonFile, text + '\n');
		log(`\nsummary written to ${jsonFile}`);
	} else {
		console.log(text);
	}
}

const ok = steadResult.writesLost === 0 && steadResult.writesAppliedTwice === 0;
log(ok ? '\nsteadfetch lost no write and applied none twice.' : '\nsteadfetch lost or doubled writes: this is a bug.');
process.exitCode = ok ? 0 : 1;
