// `npm test`: find Chromium, type check, lint (Biome), build, size budget, then the suites in Node 24,
// Chromium and workerd (one vitest run with three projects) and Deno (deno test on the built ESM).
// A failing check (type check, lint, build, package, size) stops the run; a failing test step does
// not stop the other test steps, so every runtime reports. Ends with the tests executed per runtime and one
// `tests: N passed, N failed, N skipped` line.
//
// Every runtime in `required` must report: a runtime whose report is missing or unreadable, or
// that executed no test, is printed as failed, counts as one failure in the last line, and makes
// the exit code non-zero. `node scripts/test.mjs --tally` only reads test-results/ again.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
	console.error(`npm test needs Node >= 22.18 (this is ${process.version}); .ci/run shows how to get Node 24 from npm.`);
	process.exit(1);
}

const required = ['Node 24', 'Chromium (vitest browser)', 'Chromium (Playwright pages)', 'workerd', 'workerd (requests)', 'Deno', 'ky compat'];
/** Rows counted when present, not required. */
const optional = [];

/**
 * The runtime a vitest file ran in, from its path. test/workerd-requests/ drives real workerd from
 * Node (Miniflare), one request context per call: counted as workerd (requests).
 */
const runtimeOf = (name) => name.includes('/test/ky-compat/') ? 'ky compat'
	: name.includes('/test/browser/') ? 'Chromium (vitest browser)'
		: name.includes('/test/workerd/') ? 'workerd'
			: name.includes('/test/workerd-requests/') ? 'workerd (requests)'
				: name.includes('/test/node/') ? 'Chromium (Playwright pages)' : 'Node 24';

const tally = {};
/** Failed tests by name, printed next to the tally so a CI log's last lines say which failed. */
const failures = [];
/** Why a runtime has no trustworthy count: its report could not be read. */
const problems = {};
const count = (runtime, passed, failed, skipped) => {
	tally[runtime] ??= { passed: 0, failed: 0, skipped: 0 };
	const row = tally[runtime];
	row.passed += passed;
	row.failed += failed;
	row.skipped += skipped;
};

const firstLine = (text = '') => String(text).split('\n').find((line) => line.trim() !== '')?.trim().slice(0, 240) ?? '';

const readVitest = (file = 'test-results/vitest.json') => {
	const report = JSON.parse(readFileSync(file, 'utf8'));
	for (const file of report.testResults) {
		const results = file.assertionResults;
		const failed = results.filter((r) => r.status === 'failed').length;
		// A file that failed without a failed test (it did not load, or a hook threw) is one failure.
		const fileFailed = file.status === 'failed' && failed === 0 ? 1 : 0;
		const where = file.name.replace(`${process.cwd()}/`, '');
		for (const r of results.filter((r) => r.status === 'failed')) {
			failures.push(`${where} > ${r.fullName}: ${firstLine(r.failureMessages?.[0])}`);
		}
		if (fileFailed) failures.push(`${where}: ${firstLine(file.message)}`);
		count(runtimeOf(file.name), results.filter((r) => r.status === 'passed').length, failed + fileFailed, results.filter((r) => r.status !== 'passed' && r.status !== 'failed').length);
	}
};

const readDeno = () => {
	const xml = readFileSync('test-results/deno.xml', 'utf8');
	const cases = xml.match(/<testcase\b[\s\S]*?(?:\/>|<\/testcase>)/g) ?? [];
	const failedCases = cases.filter((test) => /<failure\b|<error\b/.test(test));
	const failed = failedCases.length;
	for (const test of failedCases) failures.push(`deno > ${/name="([^"]*)"/.exec(test)?.[1] ?? '?'}`);
	const skipped = cases.filter((test) => /<skipped\b/.test(test)).length;
	count('Deno', cases.length - failed - skipped, failed, skipped);
};

const findChromium = async () => {
	const { findChromium: find } = await import('../test/helpers/chromium.ts');
	console.log(`Chromium: ${find()}`);
};

/** A step runs `command args` or the in-process `run`; `read` reads the report it leaves for `runtimes`. */
const steps = [
	{ name: 'Chromium', run: findChromium },
	{ name: 'type check', command: 'npm', args: ['run', '--silent', 'typecheck'] },
	{ name: 'lint', command: 'npm', args: ['run', '--silent', 'lint'] },
	{ name: 'build', command: 'npm', args: ['run', '--silent', 'build'] },
	{ name: 'package checks (publint, attw)', command: 'sh', args: ['-c', 'npx publint --strict && npx attw --pack . --profile node16'] },
	{ name: 'size budget', command: 'node', args: ['scripts/size.mjs', '--check'] },
	{ name: 'Node 24 + Chromium + workerd', command: 'npx', args: ['vitest', 'run', '--project', 'node', '--project', 'chromium', '--project', 'workerd', '--reporter=default', '--reporter=json', '--outputFile.json=test-results/vitest.json'], read: () => readVitest(), runtimes: required.filter((runtime) => runtime !== 'Deno' && runtime !== 'ky compat') },
	{ name: 'Deno', command: 'node', args: ['scripts/deno-test.mjs', '--junit-path=test-results/deno.xml'], read: readDeno, runtimes: ['Deno'] },
	// ky's own tests are timing-sensitive (1 ms timeouts against 100 ms fetches, retries timed to a few
	// ms): they run on their own, not beside the other suites, and one mode after the other (the two
	// modes side by side on two cores were enough to push ky's timed retries past its tolerance).
	{
		name: 'ky compat (ky\'s own tests, policies off, then defaults)',
		command: 'sh',
		args: ['-c', 'status=0; for mode in off defaults; do npx vitest run --project "ky-compat-$mode" --reporter=dot --reporter=json "--outputFile.json=test-results/vitest-ky-$mode.json" || status=1; done; exit $status'],
		read: () => {
			readVitest('test-results/vitest-ky-off.json');
			readVitest('test-results/vitest-ky-defaults.json');
		},
		runtimes: ['ky compat'],
	},
];

const readReport = (step) => {
	try {
		step.read();
	} catch (error) {
		console.error(`could not read the ${step.name} report: ${error.message}`);
		for (const runtime of step.runtimes) {
			problems[runtime] = `report unreadable (${error.code ?? error.message})`;
		}
	}
};

let failedStep;
if (process.argv.includes('--tally')) {
	for (const step of steps.filter((step) => step.read)) {
		readReport(step);
	}
} else {
	rmSync('test-results', { recursive: true, force: true });
	mkdirSync('test-results', { recursive: true });
	for (const step of steps) {
		const started = performance.now();
		console.log(`\n▶ ${step.name}`);
		let status = 0;
		if (step.run) {
			try {
				await step.run();
			} catch (error) {
				console.error(error.message);
				status = 1;
			}
		} else {
			const result = spawnSync(step.command, step.args, { stdio: 'inherit' });
			status = result.status ?? 1;
		}

		const seconds = ((performance.now() - started) / 1000).toFixed(1);
		const failedBefore = failures.length;
		if (step.read) {
			readReport(step);
		}

		if (status !== 0 && step.read && failures.length === failedBefore) {
			// The step failed without a failed test: an unhandled rejection or an uncaught exception
			// (vitest and Deno fail a run on one), or a crash. It fails the run and names itself here.
			failures.push(`${step.name}: exited ${status} with no failed test (an unhandled error or a crash: see its output above)`);
		}

		if (status !== 0) {
			console.error(`✗ ${step.name} failed (${seconds} s)`);
			failedStep = status;
			// Checks before the tests stop the run; a failed test step lets the other runtimes still run,
			// so one report says what passed and failed everywhere.
			if (!step.read) {
				break;
			}

			continue;
		}

		console.log(`✓ ${step.name} (${seconds} s)`);
	}
}

if (failures.length > 0) {
	console.log(`\nFailed tests (${failures.length}):`);
	for (const line of failures) console.log(`  ✗ ${line}`);
}

console.log('\nTests executed per runtime:');
let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const runtime of [...required, ...optional.filter((name) => tally[name] || problems[name])]) {
	const row = tally[runtime] ?? { passed: 0, failed: 0, skipped: 0 };
	const problem = problems[runtime]
		?? (tally[runtime] === undefined ? 'not run' : row.passed + row.failed === 0 ? 'no test executed' : undefined);
	if (problem && required.includes(runtime)) {
		console.log(`  ${runtime.padEnd(28)} ✗ FAILED: ${problem}`);
		missing.push(runtime);
		failed += 1;
		continue;
	}

	console.log(`  ${runtime.padEnd(28)} ${String(row.passed).padStart(4)} passed  ${row.failed} failed  ${row.skipped} skipped${problem ? `  (${problem})` : ''}`);
	passed += row.passed;
	failed += row.failed;
	skipped += row.skipped;
}

if (missing.length > 0) {
	console.error(`Every runtime must execute tests; none counted from: ${missing.join(', ')} (each counted as one failure).`);
}

if (skipped > 0) {
	console.error('Skipped tests hide results: this project never skips.');
}

console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped${failedStep && failed === 0 ? ' (and a step failed: see above)' : ''}`);
process.exit(failedStep ?? (failed > 0 || skipped > 0 || passed === 0 ? 1 : 0));
