import type { Command } from 'commander';
import { StackLauncher } from './stack-launcher';

/** `slm up`: the whole system on one machine (what `npm start` runs). */
export function registerStackCommands(program: Command): void {
  program
    .command('up')
    .description('start Redis (unless REDIS_URL is set), the three workers and the router, restarting one that dies; Ctrl-C stops them all')
    .action(async () => {
      process.exitCode = await new StackLauncher().run();
    });
}
