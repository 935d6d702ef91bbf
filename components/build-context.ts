import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/*
 * What Docker sends to the builder as a build context, and a digest of it. An image loaded into
 * the local Docker has no registry digest, so Docker Desktop's pods reference it by a tag derived
 * from this digest: a change to any file the build can see gives a new tag, and the pods roll.
 * The ignore rules follow Docker's (moby/patternmatcher): a `<Dockerfile>.dockerignore` next to
 * the Dockerfile replaces the context's `.dockerignore`; patterns apply in order, the last match
 * decides, `!` re-includes, and a pattern that matches a folder matches everything in it.
 */

interface IgnorePattern {
  regex: RegExp;
  /** The cleaned pattern text, for deciding whether an excluded folder can hold re-included files. */
  text: string;
  /** A `!` pattern: matching files are sent after all. */
  reinclude: boolean;
}

/** Docker's ignore file for a Dockerfile: its own `<Dockerfile>.dockerignore`, else the context's. */
export function ignoreFileFor(contextDir: string, dockerfile: string): string | undefined {
  return [`${dockerfile}.dockerignore`, path.join(contextDir, '.dockerignore')].find((file) => fs.existsSync(file));
}

/** Parses ignore file text into patterns (comments and blank lines dropped). */
export function parseIgnorePatterns(text: string): IgnorePattern[] {
  const patterns: IgnorePattern[] = [];
  for (const line of text.split(/\r?\n/)) {
    let pattern = line.trim();
    if (pattern === '' || pattern.startsWith('#')) continue;
    const reinclude = pattern.startsWith('!');
    if (reinclude) pattern = pattern.slice(1).trim();
    pattern = path.posix.normalize(pattern).replace(/^\/+/, '');
    patterns.push({ regex: globToRegExp(pattern), text: pattern, reinclude });
  }
  return patterns;
}

const regexSpecials = /[.+^${}()|\\/]/;

/** Docker's glob: `*` and `?` stop at `/`, `**` crosses folders, `[...]` is a class, `\` escapes. */
function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') {
        i++;
        source += '(?:.*/)?';
      } else {
        source += '.*';
      }
    } else if (char === '*') {
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else if (char === '[' && pattern.indexOf(']', i + 2) > i) {
      const end = pattern.indexOf(']', i + 2);
      const body = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
      source += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
      i = end;
    } else if (char === '\\' && i + 1 < pattern.length) {
      i++;
      source += regexSpecials.test(pattern[i]) || '*?['.includes(pattern[i]) ? `\\${pattern[i]}` : pattern[i];
    } else {
      source += regexSpecials.test(char) ? `\\${char}` : char;
    }
  }
  return new RegExp(`^${source}$`);
}

/** Whether Docker leaves `file` (relative, `/`-separated) out of the context. */
export function isIgnored(patterns: IgnorePattern[], file: string): boolean {
  const parents = file
    .split('/')
    .slice(0, -1)
    .map((_, index, parts) => parts.slice(0, index + 1).join('/'));
  let ignored = false;
  for (const pattern of patterns) {
    // An ignore pattern cannot change an ignored file, nor a re-include one a sent file.
    if (pattern.reinclude !== ignored) continue;
    if (pattern.regex.test(file) || parents.some((parent) => pattern.regex.test(parent))) ignored = !pattern.reinclude;
  }
  return ignored;
}

/** Docker skips an ignored folder unless a re-include pattern starts with its path. */
function mayHoldReincluded(patterns: IgnorePattern[], folder: string): boolean {
  return patterns.some((pattern) => pattern.reinclude && `${pattern.text}/`.startsWith(`${folder}/`));
}

/** The files of the context Docker would send, relative and `/`-separated, sorted. */
export function contextFiles(contextDir: string, patterns: IgnorePattern[]): string[] {
  const files: string[] = [];
  const walk = (relativeDir: string) => {
    const entries = fs.readdirSync(path.join(contextDir, relativeDir), { withFileTypes: true });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const relative = relativeDir ? `${relativeDir}/${entry.name}` : entry.name;
      const ignored = isIgnored(patterns, relative);
      if (entry.isDirectory()) {
        if (!ignored || mayHoldReincluded(patterns, relative)) walk(relative);
      } else if (!ignored) {
        files.push(relative);
      }
    }
  };
  walk('');
  return files;
}

/**
 * A digest of everything a build can see: the Dockerfile, its ignore file, and every file of the
 * context that the ignore rules let through (path and contents, symbolic links by their target).
 */
export function buildContextDigest(contextDir: string, dockerfile: string): string {
  if (!fs.existsSync(dockerfile)) throw new Error(`Dockerfile not found: ${dockerfile}`);
  const ignoreFile = ignoreFileFor(contextDir, dockerfile);
  const patterns = ignoreFile ? parseIgnorePatterns(fs.readFileSync(ignoreFile, 'utf8')) : [];
  const hash = createHash('sha256');
  const add = (label: string, content: string | Buffer) => hash.update(`${label}\0`).update(content).update('\0');
  add('Dockerfile', fs.readFileSync(dockerfile));
  add('ignore', ignoreFile ? fs.readFileSync(ignoreFile) : '');
  for (const file of contextFiles(contextDir, patterns)) {
    const absolute = path.join(contextDir, file);
    const stat = fs.lstatSync(absolute);
    add(file, stat.isSymbolicLink() ? `link:${fs.readlinkSync(absolute)}` : fs.readFileSync(absolute));
  }
  return hash.digest('hex');
}
