// Lint: typescript-eslint with type information, and the layering that
// ARCHITECTURE.md describes, as rules (a wrong-way import fails `npm run
// lint`, not a review). Import cycles are checked by scripts/check-imports.mjs.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The folders of src/store/, lowest first: each may import only itself and the folders before it. */
const STORE = ['fs', 'host', 'read', 'layouts', 'inspect', 'ops'];

const fsModules = ['fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'fs-extra'].map((name) => ({
  name,
  message: 'commands and renderers reach the file system through the core (src/store/)',
}));

/** Outside src/store/, the core is reached through its façade, src/store/index.ts, only. */
const facade = {
  regex: '(^|/)store/(?!(index|base)\\.js$)',
  message: 'reach the core through its façade, src/store/index.js (or base.js, its start-up part; export what is needed there)',
};

/** The same for import(): no-restricted-imports does not look at it (a lazy load of the core is the usual way in). */
const facadeDynamic = {
  selector: 'ImportExpression > Literal[value=/(^|\\/)store\\/(?!(index|base)\\.js$)/]',
  message: 'reach the core through its façade, src/store/index.js (or base.js): import() too',
};
const noExit = {
  selector: 'CallExpression[callee.object.name="process"][callee.property.name="exit"]',
  message: 'set an exit code; never exit in the middle of work',
};

/** The wiring's own I/O (src/output.ts) and declarations' wiring (src/cli.ts): commands and renderers get them through ctx. */
const wiringOnly = { group: ['../output*', '../../output*', '../cli*', '../../cli*'], message: 'output goes through ctx (ctx.out, ctx.write, ctx.err)' };

/** Relative import patterns a file in src/store/<folder>/ must not use. */
function storeFolderRules(folder) {
  const above = STORE.slice(STORE.indexOf(folder) + 1);
  return [
    ...above.map((f) => ({
      group: [`../${f}/*`],
      message: `src/store/${folder}/ sits below ${f}/: it may import only ${STORE.slice(0, STORE.indexOf(folder) + 1).join(', ')}`,
    })),
    {
      group: ['../../render/*', '../../commands/*', '../../cli*', '../../context*', '../../program*'],
      message: 'the core never renders, prints or parses arguments',
    },
    { group: ['chalk', 'cli-table3', 'commander', '@commander-js/*'], message: 'the core never renders, prints or parses arguments' },
  ];
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'examples/**'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      'no-restricted-syntax': [
        'error',
        {
          selector: 'CallExpression[callee.object.name="process"][callee.property.name="exit"]',
          message: 'set an exit code; never exit in the middle of work',
        },
      ],
    },
  },
  {
    // Tests and the benchmark may assert what they know (fixtures exist, arrays
    // are filled) and read vcstore's JSON output, which is untyped by nature.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }] },
      ],
    },
  },
  {
    // The wiring (cli.ts, context.ts, program.ts, output.ts, defaults.ts) and the worker's entry.
    files: ['src/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [facade] }], 'no-restricted-syntax': ['error', noExit, facadeDynamic] },
  },
  {
    files: ['src/commands/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: fsModules, patterns: [facade, wiringOnly] }],
      'no-restricted-syntax': ['error', noExit, facadeDynamic],
    },
  },
  {
    files: ['src/render/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error', noExit, facadeDynamic],
      'no-restricted-imports': [
        'error',
        { paths: fsModules, patterns: [facade, wiringOnly, { group: ['../commands/*', '../cli*'], message: 'renderers decide nothing' }] },
      ],
    },
  },
  ...STORE.map((folder) => ({
    files: [`src/store/${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', { patterns: storeFolderRules(folder) }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'the core is given its settings by the wiring (src/cli.ts); it never reads the environment' },
        { object: 'process', property: 'exit', message: 'the core never exits: it throws a typed error' },
        { object: 'process', property: 'stdout', message: 'the core never prints' },
        { object: 'process', property: 'stderr', message: 'the core never prints' },
      ],
      'no-console': 'error',
    },
  })),
  {
    files: ['src/list-worker.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [facade, { group: ['./render/*', './commands/*'], message: 'workers return plain data; the main thread renders' }] },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    // CommonJS: the bin runs before any bundle.
    files: ['**/*.cjs', 'bin/vcstore'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'readonly', __dirname: 'readonly' },
    },
  },
);
