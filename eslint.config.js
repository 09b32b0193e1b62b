// ESLint looks for bugs (promises left floating, hooks misused, unreachable or useless code); Prettier owns the
// formatting and tsc's noUnusedLocals/noUnusedParameters own unused code. Type-aware rules read the program through
// typescript-eslint, which needs TypeScript's JS API: TypeScript 7 (`tsc`, installed as @typescript/native) has none,
// so package.json installs the 6.0 API under the name `typescript`, the side-by-side layout typescript-eslint expects.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'dist-node/', 'public/', 'test-results/', 'playwright-report/', '.models/', '.gpu/', '.gl/', '.base/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.browser, ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // tsc reports unused locals and parameters (tsconfig.json); one place, one set of rules.
      '@typescript-eslint/no-unused-vars': 'off',
      // React ignores what an event handler returns; an async onClick is the usual way to await in one.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      // A caught value is rethrown or rejected as it came; wrapping it would lose its kind.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // Style, not bugs: an async function without await, an assertion the checker can prove, `any` at JSON and
      // page.evaluate boundaries, arrays and numbers in template strings, zustand actions taken out of the store.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['src/ui/**/*.{ts,tsx}', 'src/main.tsx'],
    extends: [reactHooks.configs.flat.recommended],
  },
  {
    // Plain JavaScript (this file, scripts/*.mjs) is outside tsconfig.json's program.
    files: ['**/*.{js,mjs,cjs}'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
