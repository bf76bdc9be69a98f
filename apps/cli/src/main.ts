import { runCli } from './program';

runCli(process.argv.slice(2)).then((code) => {
  // A long-running command (`slm up`, `slm worker`) reports its outcome through process.exitCode.
  if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
});
