export { requestOrigin } from '../core/scope.js';
