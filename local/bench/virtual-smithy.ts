/**
 * Runs the SDK v3's own waiters on a virtual clock: the real `waitUntilStackUpdateComplete`,
 * `waitUntilChangeSetCreateComplete` and `waitUntilTargetInService` (their real acceptors and service
 * defaults), driven by the real smithy `createWaiter` code, with seeded jitter.
 *
 * Why it is done this way: smithy's waiter loop (`runPolling` and `exponentialBackoffWithJitter` in
 * node_modules/@smithy/core/dist-cjs/submodules/client/index.js, lines 315–435 of @smithy/core
 * 3.41.1, re-exported by @smithy/util-waiter 4.6.2) reads the time with `Date.now()`, sleeps with
 * `setTimeout` and jitters with `Math.random()`, all module-scoped: there is no sleep to inject. So
 * the installed file is evaluated a second time inside a function whose `Date`, `setTimeout` and
 * `Math` parameters shadow the globals. Same code, virtual time, seeded jitter, and no global is
 * patched. The SDK clients call `client.createWaiter(...)` through the `@smithy/core/client` module
 * object at call time, so for the duration of one run that export points at the sandboxed copy.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

import type { checkExceptions, createWaiter } from '@smithy/core/client';

import type { VirtualClock } from '../../actions/lib/clock';

/** The two waiter functions of smithy's client module (the only parts the benchmark uses). */
export interface SmithyClientModule {
  createWaiter: typeof createWaiter;
  checkExceptions: typeof checkExceptions;
}

/** The SDK client packages whose waiters the benchmark runs; each resolves its own `@smithy/core/client`. */
const WAITER_PACKAGES = ['@aws-sdk/client-cloudformation', '@aws-sdk/client-elastic-load-balancing-v2'] as const;

type ModuleFactory = (
  exports: object,
  require: NodeJS.Require,
  module: { exports: object },
  filename: string,
  dirname: string,
  date: DateConstructor,
  setTimeout: (callback: () => void, ms: number) => number,
  math: Math,
) => void;

let compiled: { file: string; factory: ModuleFactory } | undefined;

/** The module file the SDK clients really load (resolved from the CloudFormation client, as it does). */
function smithyClientFile(): string {
  const fromSdk = createRequire(require.resolve('@aws-sdk/client-cloudformation'));
  return fromSdk.resolve('@smithy/core/client');
}

function factory(): { file: string; factory: ModuleFactory } {
  if (!compiled) {
    const file = smithyClientFile();
    const source = readFileSync(file, 'utf8');
    // The CommonJS wrapper node itself uses, plus the three globals the waiter reads.
    compiled = {
      file,
      factory: new Function('exports', 'require', 'module', '__filename', '__dirname', 'Date', 'setTimeout', 'Math', source) as ModuleFactory,
    };
  }
  return compiled;
}

/**
 * A fresh copy of smithy's client module whose time is `clock` and whose `Math.random` is `random`.
 * `setTimeout(cb, ms)` sleeps `ms` on the virtual clock, then calls `cb`. One waiter runs at a time
 * (the benchmark is sequential), so timers never need ordering among themselves.
 */
export function loadVirtualSmithy(clock: VirtualClock, random: () => number): SmithyClientModule {
  const { file, factory: evaluate } = factory();
  const VirtualDate = class extends Date {
    static override now(): number {
      return clock.now();
    }
  } as DateConstructor;
  const virtualMath = Object.create(Math, { random: { value: random } }) as Math;
  const virtualSetTimeout = (callback: () => void, ms: number): number => {
    void clock.sleep(ms).then(callback);
    return 0;
  };
  const module = { exports: {} as object };
  evaluate(module.exports, createRequire(file), module, file, dirname(file), VirtualDate, virtualSetTimeout, virtualMath);
  return module.exports as SmithyClientModule;
}

/**
 * Runs `fn` while every SDK client's waiters use `virtual.createWaiter`, then puts the real one back.
 * Not reentrant: runs must not overlap (the benchmark and its tests run them one after another).
 */
export async function withVirtualSdkWaiters<T>(virtual: SmithyClientModule, fn: () => Promise<T>): Promise<T> {
  const shared = new Set(WAITER_PACKAGES.map((pkg) => createRequire(require.resolve(pkg))('@smithy/core/client') as SmithyClientModule));
  const originals = [...shared].map((mod) => [mod, mod.createWaiter] as const);
  for (const mod of shared) mod.createWaiter = virtual.createWaiter;
  try {
    return await fn();
  } finally {
    for (const [mod, original] of originals) mod.createWaiter = original;
  }
}
