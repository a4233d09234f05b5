// The one way Switchboard runs Lua in Redis: a script file beside the code that uses it
// (`<dir>/scripts/<name>-<numKeys>.lua`, or `<name>.lua` when the number of keys varies, each
// with a KEYS/ARGV header), run by EVALSHA and sent again with EVAL (which caches it) only when
// Redis answers NOSCRIPT (a restarted or flushed Redis).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The subset of ioredis the script runner needs (a fake can stand in for it in tests). */
export interface ScriptClient {
  evalsha(sha: string, numKeys: number, ...args: string[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: string[]): Promise<unknown>;
}

export class LuaScript {
  readonly sha: string;
  constructor(readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  /** Reads `<dir>/scripts/<file>` (call with the caller's __dirname; the build copies scripts beside it). */
  static load(dir: string, file: string): LuaScript {
    return new LuaScript(readFileSync(path.join(dir, 'scripts', file), 'utf8'));
  }

  async run(client: ScriptClient, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return client.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}
