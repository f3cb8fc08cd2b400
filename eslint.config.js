// One linter, configured once: typescript-eslint's recommended rules for every workspace.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'data/**', 'coverage/**', 'docs/screenshots/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['widget/**/*.{ts,tsx}', 'examples/**/*.{js,ts,tsx}', 'server/console/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // The widget compiles JSX to classic h() / Fragment calls (smaller bundle): those imports are used.
    files: ['widget/**/*.tsx'],
    rules: { '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^(_|h$|Fragment$)' }] },
  },
);
