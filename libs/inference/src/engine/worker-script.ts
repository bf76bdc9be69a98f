import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * Starts the worker thread whose script is `<name>.js` (compiled output, dist/) or `<name>.ts` (TypeScript
 * sources under Jest or ts tooling) in this folder. From sources, a small bootstrap registers an SWC
 * require hook for .ts files first.
 */
export function spawnWorkerScript(name: string, workerData: unknown): Worker {
  const compiled = path.join(__dirname, `${name}.js`);
  if (existsSync(compiled)) return new Worker(compiled, { workerData });
  const source = path.join(__dirname, `${name}.ts`);
  const swcPath = require.resolve('@swc/core');
  const bootstrap = `
    const fs = require('node:fs');
    const swc = require(${JSON.stringify(swcPath)});
    require.extensions['.ts'] = (module, filename) => {
      const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
        filename, sourceMaps: 'inline',
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' },
      });
      module._compile(code, filename);
    };
    require(${JSON.stringify(source)});
  `;
  return new Worker(bootstrap, { eval: true, workerData });
}
