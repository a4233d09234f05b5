import { statSync } from 'node:fs';
import path from 'node:path';

/** Length in seconds of a GSM prompt (33 bytes per 20 ms frame) from the stack's sound folder. */
export function promptSeconds(soundsDir: string, name: string, lang = 'en'): number {
  return statSync(path.join(soundsDir, lang, `${name}.gsm`)).size / 1650;
}
