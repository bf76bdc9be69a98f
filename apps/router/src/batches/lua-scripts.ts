import { existsSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';

/** The Lua scripts of the batch store and the queue layer, one `.lua` file each in `./lua` (their keys and arguments documented at the top). */
export type LuaScriptName =
  'record-outcome' | 'mark-active' | 'start-cancel' | 'cancel-problems' | 'claim-request' | 'finish-request' | 'remove-waiting-jobs';

/**
 * Where the `.lua` files are: beside this module (the sources under jest, or dist after
 * `npm run build`, which copies them), else in the source tree beside dist (a dist compiled by a
 * bare `tsc`, as `npm ci`'s prepare step does in the image, which holds the sources too).
 */
function luaDir(): string {
  const beside = join(__dirname, 'lua');
  if (existsSync(beside)) return beside;
  const dist = __dirname.lastIndexOf(`${sep}dist${sep}`);
  return join(__dirname.slice(0, dist), __dirname.slice(dist + `${sep}dist`.length), 'lua');
}

const cache = new Map<LuaScriptName, string>();

/** The source of a Lua script, read once. */
export function luaScript(name: LuaScriptName): string {
  let source = cache.get(name);
  if (source === undefined) {
    source = readFileSync(join(luaDir(), `${name}.lua`), 'utf8');
    cache.set(name, source);
  }
  return source;
}
