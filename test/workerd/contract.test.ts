import { describe, inject, it } from 'vitest';
import type * as Library from '../../src/entries/index.js';
// The edge build (what the `workerd` export condition resolves), typed through src/: a clean clone type-checks before it builds.
// biome-ignore lint/suspicious/noTsIgnore: dist/ may not exist yet when tsc runs, so @ts-expect-error would fail once it does
// @ts-ignore
import * as built from '../../dist/edge/index.js';
import { contractCases } from '../contract/spec.js';

const lib = built as typeof Library;

describe('contract (workerd, the edge build)', () => {
	for (const { name, run } of contractCases(lib, { baseUrl: inject('baseUrl'), refusedUrl: inject('refusedUrl'), runtime: 'workerd' })) {
		it(name, run);
	}
});
