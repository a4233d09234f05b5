// Problems found in configuration files: each names the file, and where known the line, column
// and field path, so ops staff can fix it without guessing.

export interface ConfigProblem {
  file: string;
  line?: number;
  column?: number;
  field?: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

/** `file:line:column: field.path: message` (the parts that are known). */
export function formatProblem(p: ConfigProblem): string {
  const where = p.line ? `${p.file}:${p.line}:${p.column ?? 1}` : p.file;
  return `${where}: ${p.field ? `${p.field}: ` : ''}${p.message}`;
}

/** The problems in file order (as `files` lists them), then by position; the sort is stable. */
export function sortedError(problems: ConfigProblem[], files: readonly string[]): ConfigError {
  const order = new Map(files.map((f, i) => [f, i]));
  problems.sort((a, b) => (order.get(a.file) ?? -1) - (order.get(b.file) ?? -1) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return new ConfigError(problems);
}
