// ESLint flat config. typescript-eslint's type-checked recommended set over
// everything tsconfig.json compiles (src, test, examples, bench), plus the
// inspector's browser modules under their own tsconfig when present.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'interop/', 'test-output/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: globals.node,
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      // Log methods are `async` without awaiting on purpose: an argument check
      // that throws becomes a rejected promise, as the Log contract says.
      '@typescript-eslint/require-await': 'off',
      // `a[i]!` marks an index known to be in range (the browser code compiles
      // with noUncheckedIndexedAccess); without that option the rule calls
      // every one of them unnecessary.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // Numbers and arrays of numbers in messages read as intended.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowArray: true }],
      // A caught value passed on as it came (`catch (err) { return Promise.reject(err) }`).
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // `let x; ... () => x ...; x = ...` where a closure made before the value reads it later.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // Tests feed bad input on purpose and read untyped JSON (HTTP bodies,
    // child process output) whose shape chai asserts; helpers hand out
    // closures typed as methods.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // The inspector's page script: browser modules with their own tsconfig
    // (DOM types, no Node), served as compiled.
    files: ['src/inspector/browser/**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: false, project: './tsconfig.browser.json' },
      globals: globals.browser,
    },
  },
  {
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
