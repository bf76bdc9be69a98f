#!/usr/bin/env node
// Exits 0 when a gRPC server's grpc.health.v1 Check answers SERVING, 1 otherwise.
// Usage: grpc-health-probe.js HOST:PORT [SERVICE]   (used by container health checks)
'use strict';
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const [address, service = ''] = process.argv.slice(2);
if (!address) {
  console.error('usage: grpc-health-probe.js HOST:PORT [SERVICE]');
  process.exit(2);
}
const protoPath = path.join(path.dirname(require.resolve('grpc-health-check/package.json')), 'proto/health/v1/health.proto');
const {
  grpc: {
    health: {
      v1: { Health },
    },
  },
} = grpc.loadPackageDefinition(protoLoader.loadSync(protoPath, { enums: String }));
const client = new Health(address, grpc.credentials.createInsecure());
client.Check({ service }, { deadline: Date.now() + 3000 }, (error, response) => {
  client.close();
  if (error) {
    console.error(`${address}: ${error.details || error.message}`);
    process.exit(1);
  }
  console.log(`${address}${service ? ` ${service}` : ''}: ${response.status}`);
  process.exit(response.status === 'SERVING' ? 0 : 1);
});
