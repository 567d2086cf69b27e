// Lint: typescript-eslint's recommended-type-checked rules over src/ and test/ (typed through
// tsconfig.json); benchmarks and scripts (plain JavaScript, type-checked by tsconfig.bench.json)
// get the rules that need no types.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'models/', 'training/', 'bench/results/', 'bench/reference/', '.tmp/', '.data/', '.dist-building-*/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    // Undefined names in JavaScript are the type-checker's job (tsconfig.bench.json knows Node's globals).
    rules: { 'no-undef': 'off' },
  },
);
