// `npm test`: type check, build, size budget, then the suites in Node 24, Chromium and workerd and ky's
// own tests (one vitest run with five projects) and Deno (deno test on the built ESM). Stops at the first failing
// step, and ends with the tests executed per runtime and one `tests: N passed, N failed` line.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
	console.error(`npm test needs Node >= 22 (this is ${process.version}); .ci/run shows how to get Node 24 from npm.`);
	process.exit(1);
}

rmSync('test-results', { recursive: true, force: true });
mkdirSync('test-results', { recursive: true });

const steps = [
	['type check', 'npm', ['run', '--silent', 'typecheck']],
	['build', 'npm', ['run', '--silent', 'build']],
	['size budget', 'node', ['scripts/size.mjs', '--check']],
	['Node 24 + Chromium + workerd', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile.json=test-results/vitest.json']],
	['Deno', 'node', ['scripts/deno-test.mjs', '--junit-path=test-results/deno.xml']],
];

const tally = {};
const count = (runtime, passed, failed, skipped) => {
	const row = (tally[runtime] ??= { passed: 0, failed: 0, skipped: 0 });
	row.passed += passed;
	row.failed += failed;
	row.skipped += skipped;
};

const readVitest = () => {
	const report = JSON.parse(readFileSync('test-results/vitest.json', 'utf8'));
	for (const file of report.testResults) {
		// ky's own tests against the client (test/ky-compat/), once per mode: the report does not name the
		// project, so both modes count in one row.
		const runtime = file.name.includes('/test/ky-compat/') ? 'ky compat (off + defaults)'
			: file.name.includes('/test/browser/') ? 'Chromium (vitest browser)'
			: file.name.includes('/test/workerd/') ? 'workerd'
				: file.name.includes('/test/node/') ? 'Chromium (Playwright pages)' : 'Node 24';
		const results = file.assertionResults;
		count(runtime, results.filter((r) => r.status === 'passed').length, results.filter((r) => r.status === 'failed').length, results.filter((r) => r.status !== 'passed' && r.status !== 'failed').length);
	}
};

const readDeno = () => {
	const xml = readFileSync('test-results/deno.xml', 'utf8');
	const cases = xml.match(/<testcase\b[\s\S]*?(?:\/>|<\/testcase>)/g) ?? [];
	const failed = cases.filter((test) => /<failure\b|<error\b/.test(test)).length;
	const skipped = cases.filter((test) => /<skipped\b/.test(test)).length;
	count('Deno', cases.length - failed - skipped, failed, skipped);
};

let failedStep;
for (const [name, command, args] of steps) {
	const started = performance.now();
	console.log(`\n▶ ${name}`);
	const result = spawnSync(command, args, { stdio: 'inherit' });
	const seconds = ((performance.now() - started) / 1000).toFixed(1);
	try {
		if (name.startsWith('Node')) readVitest();
		if (name === 'Deno') readDeno();
	} catch (error) {
		console.error(`could not read the ${name} report: ${error.message}`);
	}

	if (result.status !== 0) {
		console.error(`✗ ${name} failed (${seconds} s)`);
		failedStep = result.status ?? 1;
		break;
	}

	console.log(`✓ ${name} (${seconds} s)`);
}

console.log('\nTests executed per runtime:');
let passed = 0;
let failed = 0;
let skipped = 0;
for (const [runtime, row] of Object.entries(tally)) {
	console.log(`  ${runtime.padEnd(28)} ${String(row.passed).padStart(4)} passed  ${row.failed} failed  ${row.skipped} skipped`);
	passed += row.passed;
	failed += row.failed;
	skipped += row.skipped;
}

if (skipped > 0) {
	console.error('Skipped tests hide results: this project never skips.');
}

console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failedStep ?? (failed > 0 || skipped > 0 || passed === 0 ? 1 : 0));
