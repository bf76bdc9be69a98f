'use strict';
// One Jest run over every app and lib: unit (*.spec.ts), integration (*.int-spec.ts) and
// end-to-end (*.e2e-spec.ts) tests. TypeScript is transpiled by SWC; `npm run typecheck` checks types.
const swc = ['@swc/jest', require('./tools/jest/swc-options')];

module.exports = {
  rootDir: __dirname,
  testEnvironment: '<rootDir>/tools/jest/node-environment.js',
  testMatch: ['<rootDir>/{apps,libs}/**/*.{spec,int-spec,e2e-spec}.ts'],
  // TypeScript first: a stray compiled .js beside a source must never shadow it.
  moduleFileExtensions: ['ts', 'js', 'json', 'node'],
  transform: { '^.+\\.ts$': swc },
  // Libs resolve to their TypeScript sources (libs/<name>/src/index.ts), as in tsconfig paths.
  moduleNameMapper: { '^@slm/(.*)$': '<rootDir>/libs/$1/src/index.ts' },
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
  globalSetup: '<rootDir>/tools/jest/redis-setup.js',
  globalTeardown: '<rootDir>/tools/jest/redis-teardown.js',
  testTimeout: 60_000,
};
