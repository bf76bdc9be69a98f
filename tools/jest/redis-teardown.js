'use strict';
module.exports = async function redisTeardown() {
  const child = globalThis.__SLM_TEST_REDIS__;
  if (!child || child.exitCode !== null) return;
  await new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
};
