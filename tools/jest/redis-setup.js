'use strict';
// Gives the test run a Redis: REDIS_URL when set (CI starts its own), otherwise a private
// redis-server on a free loopback port, stopped in redis-teardown.js.
const { spawn } = require('node:child_process');
const net = require('node:net');

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function waitForPing(port, deadlineMs) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const attempt = () => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        if (data.toString().startsWith('+PONG')) resolve();
        else retry();
      });
      socket.once('error', () => retry());
    };
    const retry = () => {
      if (Date.now() - started > deadlineMs) reject(new Error(`redis-server on port ${port} did not answer PING`));
      else setTimeout(attempt, 50);
    };
    attempt();
  });
}

module.exports = async function redisSetup() {
  if (process.env.REDIS_URL) return;
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
    detached: false,
  });
  const spawnError = new Promise((_, reject) =>
    child.once('error', (error) =>
      reject(new Error(`cannot start redis-server (install Debian's redis-server or set REDIS_URL): ${error.message}`)),
    ),
  );
  await Promise.race([waitForPing(port, 10_000), spawnError]);
  process.env.REDIS_URL = `redis://127.0.0.1:${port}`;
  globalThis.__SLM_TEST_REDIS__ = child;
};
