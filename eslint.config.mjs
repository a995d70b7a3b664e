// Lint for every workspace; `npm run lint`. Formatting is Prettier's job, not ESLint's.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Workspaces meet through their packages (`@lumina/timeline/testing`, `@lumina/datasets`…),
// never by a relative path into another one's folder: that would skip the package's exports
// (what it means to offer) and hide a dependency its package.json does not declare.
const ROOT = dirname(fileURLToPath(import.meta.url));
const WORKSPACES = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
  .workspaces.map((w) => ({ dir: resolve(ROOT, w), name: JSON.parse(readFileSync(join(ROOT, w, 'package.json'), 'utf8')).name }))
  // Longest first, so infra/local is found before a shorter folder that contains it.
  .sort((a, b) => b.dir.length - a.dir.length);
const workspaceOf = (file) => WORKSPACES.find((w) => file === w.dir || file.startsWith(w.dir + sep));

const noCrossWorkspaceImports = {
  meta: {
    type: 'problem',
    docs: { description: "forbids a relative import into another workspace's folder" },
    messages: {
      cross:
        "'{{source}}' reaches into {{target}} by a relative path: import the package ({{name}}) and export what is needed from it (test-only helpers in its `testing` export)",
    },
    schema: [],
  },
  create(context) {
    const from = workspaceOf(context.filename);
    const check = (node, source) => {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const target = workspaceOf(resolve(dirname(context.filename), source));
      if (target && target !== from)
        context.report({ node, messageId: 'cross', data: { source, target: target.dir.slice(ROOT.length + 1), name: target.name } });
    };
    const declaration = (node) => node.source && check(node.source, node.source.value);
    return {
      ImportDeclaration: declaration,
      ExportNamedDeclaration: declaration,
      ExportAllDeclaration: declaration,
      ImportExpression: (node) => check(node.source, node.source.value),
      CallExpression: (node) => {
        const [first] = node.arguments;
        if (node.callee.type === 'Identifier' && node.callee.name === 'require' && first?.type === 'Literal') check(first, first.value);
      },
      TSImportEqualsDeclaration: (node) =>
        node.moduleReference.type === 'TSExternalModuleReference' &&
        check(node.moduleReference.expression, node.moduleReference.expression.value),
    };
  },
};

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'client/dist/**',
      'coverage/**',
      'test-artifacts/**',
      'bench/results/**',
      'chaos/results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { lumina: { rules: { 'no-cross-workspace-imports': noCrossWorkspaceImports } } },
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
      'lumina/no-cross-workspace-imports': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
  },
);
