#!/usr/bin/env node
'use strict';
// The `slm` command. The TypeScript sources are compiled into dist/ by `npm ci` (the `prepare` script).
const path = require('node:path');
const entry = path.join(__dirname, '..', 'dist', 'apps', 'cli', 'src', 'main.js');
try {
  require.resolve(entry);
} catch {
  console.error('slm: dist/ is missing; run `npm run build` (or `npm ci`) in the repository first');
  process.exit(1);
}
require(entry);
