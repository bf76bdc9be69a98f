'use strict';
// `node --require ./tools/jest/swc-register.js apps/math-worker/src/main.ts`: runs the TypeScript
// sources directly (tests spawn real worker processes without depending on a stale dist/).
// Each .ts file is transpiled by @swc/core with the same options as Jest, and `@slm/<lib>`
// resolves to libs/<lib>/src/index.ts as in tsconfig paths.
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const { transformSync } = require('@swc/core');

const root = path.resolve(__dirname, '..', '..');
const options = require('./swc-options');

const originalResolve = Module._resolveFilename;
Module._resolveFilename = function resolveSlm(request, parent, ...rest) {
  const match = /^@slm\/([^/]+)$/.exec(request);
  if (match) {
    const index = path.join(root, 'libs', match[1], 'src', 'index.ts');
    if (fs.existsSync(index)) return index;
  }
  return originalResolve.call(this, request, parent, ...rest);
};

require.extensions['.ts'] = function compileTs(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { code } = transformSync(source, { ...options, filename });
  module._compile(code, filename);
};
