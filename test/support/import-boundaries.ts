/**
 * Which files a source file imports, statically or with a dynamic `import()`, found by
 * TypeScript's own pre-processor (the same scan the compiler starts from), so the layering tests
 * check real imports rather than a text search.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';

/** A relative import and the repository path (folder-relative, POSIX) it resolves to. */
export interface ResolvedImport {
  file: string;
  specifier: string;
  resolved: string;
}

/** Every `.ts`/`.tsx` file below `dir` (relative to `root`), sorted. */
export function sourceFiles(root: string, dir: string): string[] {
  const found: string[] = [];
  const walk = (relative: string): void => {
    for (const entry of fs.readdirSync(path.join(root, relative), { withFileTypes: true })) {
      const child = path.posix.join(relative, entry.name);
      if (entry.isDirectory() && entry.name !== 'node_modules' && entry.name !== 'dist') walk(child);
      else if (entry.isFile() && /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) found.push(child);
    }
  };
  walk(dir);
  return found.sort();
}

/** The relative imports of one file; package imports (`@pulumi/…`, `node:…`) are not layers. */
export function relativeImports(root: string, file: string): ResolvedImport[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const { importedFiles } = ts.preProcessFile(text, true, true);
  return importedFiles
    .map(({ fileName }) => fileName)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => ({
      file,
      specifier,
      resolved: path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)),
    }));
}

/** The imports of the files below `dir` that resolve outside every folder in `allowed`. */
export function importsOutside(root: string, dir: string, allowed: readonly string[]): ResolvedImport[] {
  const inside = (resolved: string) => allowed.some((folder) => resolved === folder || resolved.startsWith(`${folder}/`));
  return sourceFiles(root, dir)
    .flatMap((file) => relativeImports(root, file))
    .filter(({ resolved }) => !inside(resolved));
}

/** One line per import, for an assertion message a newcomer can act on. */
export function describeImports(imports: readonly ResolvedImport[]): string {
  return imports.map(({ file, specifier, resolved }) => `${file} imports '${specifier}' (${resolved})`).join('\n');
}

/** The source file an import resolves to (`./x.js` is `x.ts` or `x.tsx`, a folder its index), if any. */
function sourceOf(root: string, resolved: string): string | undefined {
  const stem = resolved.replace(/\.js$/, '');
  return [`${stem}.ts`, `${stem}.tsx`, `${stem}/index.ts`].find((candidate) => fs.existsSync(path.join(root, candidate)));
}

/**
 * The import circles among the files below `dirs`: each a list of files that import one another
 * round to the first (a strongly connected component of the import graph, Tarjan's algorithm).
 * Type-only imports count too: a circle of types still ties two modules into one.
 */
export function importCycles(root: string, dirs: readonly string[]): string[][] {
  const files = dirs.flatMap((dir) => (dir.endsWith('.ts') ? [dir] : sourceFiles(root, dir)));
  const edges = new Map(
    files.map((file) => [file, relativeImports(root, file).flatMap(({ resolved }) => sourceOf(root, resolved) ?? [])] as const),
  );
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, index.size);
    low.set(file, index.get(file)!);
    stack.push(file);
    for (const next of edges.get(file) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (stack.includes(next)) {
        low.set(file, Math.min(low.get(file)!, index.get(next)!));
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        component.push(member);
      } while (member !== file);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const file of files) if (!index.has(file)) visit(file);
  return cycles;
}

/**
 * Runs `check` on a scratch tree holding `files` (path below the root → text), removed after: how
 * the layering tests show that they would report the import they are there to refuse.
 */
export function inScratchTree<T>(files: Readonly<Record<string, string>>, check: (root: string) => T): T {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'import-boundaries-'));
  try {
    for (const [file, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      fs.writeFileSync(path.join(root, file), text);
    }
    return check(root);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}
