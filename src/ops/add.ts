// Kept for existing imports: add now lives with the other element-wise ops.
export { add } from './elementwise';
