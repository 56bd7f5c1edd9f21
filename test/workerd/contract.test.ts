import { describe, inject, it } from 'vitest';
import type * as Library from '../contract/library.js';
import * as built from '../contract/library-edge.js';
import { contractCases } from '../contract/spec.js';

const lib = built as unknown as typeof Library;

describe('contract (workerd, the edge build)', () => {
	for (const { name, run } of contractCases(lib, { baseUrl: inject('baseUrl'), refusedUrl: inject('refusedUrl'), runtime: 'workerd' })) {
		it(name, run);
	}
});
