import { describe, inject, it } from 'vitest';
import * as lib from '../../src/entries/index.js';
import { contractCases } from '../contract/spec.js';

describe('contract (workerd)', () => {
	for (const { name, run } of contractCases(lib, { baseUrl: inject('baseUrl'), refusedUrl: inject('refusedUrl'), runtime: 'workerd' })) {
		it(name, run);
	}
});
