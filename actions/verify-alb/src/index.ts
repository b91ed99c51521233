import { run } from './main';

// The runner's entry point (dist/index.js). All behaviour lives in main.ts and actions/lib.
void run();
