// Lint: typescript-eslint's recommended-type-checked rules over src/ and test/ (typed through
// tsconfig.json); benchmarks and scripts (plain JavaScript, type-checked by tsconfig.bench.json)
// get the rules that need no types. Tests read the CLI's `--json` output and files written by other
// tools (JSON.parse gives `any`): checking that shape is what the assertions do, so the no-unsafe-*
// rules are off under test/.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'models/',
      'training/',
      'bench/results/',
      'bench/reference/',
      'bench/out/',
      '.tmp/',
      '.data/',
      '.dist-building-*/',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // `_name` marks what a destructuring leaves out on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // A failure caught as `unknown` is thrown (or rejected) on as it came.
      '@typescript-eslint/only-throw-error': ['error', { allowThrowingUnknown: true, allowThrowingAny: true }],
      '@typescript-eslint/prefer-promise-reject-errors': [
        'error',
        { allowThrowingUnknown: true, allowThrowingAny: true },
      ],
      // Methods of Promise-returning interfaces (Sink.write, Engine.dispose) may have nothing to await.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    // Undefined names in JavaScript are the type-checker's job (tsconfig.bench.json knows Node's globals).
    rules: { 'no-undef': 'off' },
  },
  {
    files: ['**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly',
      },
    },
    rules: { 'no-undef': 'off', '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      // Tests hand the library values of the wrong type on purpose, to check its errors.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
