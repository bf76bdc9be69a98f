'use strict';
// How TypeScript sources are transpiled outside tsc: by Jest (@swc/jest) and by test child
// processes (swc-register.js). Decorator metadata is needed by NestJS's dependency injection.
module.exports = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2023',
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};
