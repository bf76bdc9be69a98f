import { runCli } from './program';

// A reader that stops early (`slm … | head`) closes our stdout: that ends the output, it is not a crash.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

runCli(process.argv.slice(2)).then((code) => {
  // A long-running command (`slm up`, `slm worker`) reports its outcome through process.exitCode.
  if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
});
