// Prompts named by the configuration (queues, numbers, flows) checked against Asterisk's sounds
// folder: a prompt plays in the call's language, else in en (Asterisk's fallback), so it must exist
// as <sounds>/en/<name>.<ext>, or in the folder of every language the call may have where it plays.
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Section } from './loader';
import type { Path, YamlFile } from './yaml-positions';

export const SOUND_EXTENSIONS = ['gsm', 'wav', 'ulaw', 'alaw', 'sln', 'g722'] as const;
/** The language Asterisk falls back to when a sound is missing in the call's. */
export const DEFAULT_SOUND_LANGUAGE = 'en';

/** A prompt some section names, and where. */
export interface SoundUse {
  src: YamlFile;
  path: Path;
  name: string;
  /** The languages the call may have where it plays (a flow step's); default: en only. */
  languages?: readonly string[];
}

export interface SoundCheck {
  /** Every prompt named, in the order the sections found them. */
  uses: readonly SoundUse[];
  /** Asterisk's sounds folder; without it (or when it is missing) nothing is checked. */
  soundsDir: string | undefined;
}

/** The sounds check, run after every section that names prompts. */
export const soundsSection: Section<Record<never, never>, SoundCheck, void> = {
  keys: {},
  async build(_files, check, { uses, soundsDir }) {
    if (soundsDir === undefined || uses.length === 0 || !(await isDir(soundsDir))) return;
    const known = new Map<string, Promise<boolean>>();
    const exists = (lang: string, name: string) => {
      const key = `${lang}/${name}`;
      let p = known.get(key);
      if (!p) {
        p = anyExists(SOUND_EXTENSIONS.map((ext) => path.join(soundsDir, lang, `${name}.${ext}`)));
        known.set(key, p);
      }
      return p;
    };
    for (const use of uses) {
      if (await exists(DEFAULT_SOUND_LANGUAGE, use.name)) continue;
      const missing: string[] = [];
      for (const lang of use.languages ?? [DEFAULT_SOUND_LANGUAGE]) if (lang === DEFAULT_SOUND_LANGUAGE || !(await exists(lang, use.name))) missing.push(lang);
      if (missing.length === 0) continue;
      const looked = [...new Set([...missing, DEFAULT_SOUND_LANGUAGE])].map((l) => path.join(soundsDir, l));
      check.at(use.src, use.path, `unknown sound "${use.name}" (no ${use.name}.{${SOUND_EXTENSIONS.join(',')}} in ${looked.join(' or ')})`);
    }
  },
};

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function anyExists(paths: string[]): Promise<boolean> {
  for (const p of paths) {
    try {
      await access(p);
      return true;
    } catch {
      // try the next extension
    }
  }
  return false;
}
