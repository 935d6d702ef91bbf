// typescript-eslint's type-checked recommended rules over every TypeScript file of the tree: the
// program, the component, the apps, the tooling, the bench and the tests. Each file is checked
// with the tsconfig.json nearest to it (the root one, apps/books', apps/books-react's), so the
// rules see the same types the compiler does. Formatting is Prettier's alone (eslint-config-prettier
// turns off the rules that would disagree with it).
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'bench/results/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    rules: {
      // A command's cleanup reads a `let` that a stop request may find still unset: declared early,
      // assigned once, on purpose.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Leaving keys out of an object by destructuring them beside a rest is what the rest is for.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
  {
    // Vite's config is the one file of books-react outside src/: its tsconfig is tsconfig.node.json,
    // which the project service (it reads only tsconfig.json files) does not find.
    files: ['apps/books-react/vite.config.ts'],
    languageOptions: { parserOptions: { projectService: false, project: './apps/books-react/tsconfig.node.json' } },
  },
  {
    // Fastify tells a hook or handler that is done when it returns by its being async (a plain
    // one must call done() or send); one that awaits nothing is that convention, not a slip.
    files: ['apps/books/src/**/*.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    // The suites under Pulumi's mocks read the program's resources as the engine received them:
    // a PropertyBag (scripts/capture/program-run.ts), JSON typed `any` on purpose and read by
    // path, as `deployment.spec.template.spec.containers[0]`. What the no-unsafe rules guard
    // against, a field that is not there, fails the assertion reading it, and every Kubernetes
    // object among them is also checked against the Kubernetes schemas.
    files: ['scripts/capture/**/*.ts', 'test/components/**/*.ts', 'test/stacks/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  prettier,
);
