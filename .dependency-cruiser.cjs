/** Architecture rules. Each rule names the seam it protects; see ARCHITECTURE.md. */
const STAGES = '(ingest|detect|correlate|respond)';
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'core-is-a-leaf',
      severity: 'error',
      comment:
        'core holds domain types and port interfaces; it imports nothing else from the project.',
      from: { path: '^src/core/' },
      to: { path: '^(src|web)/', pathNot: '^src/core/' },
    },
    {
      name: 'stages-do-not-import-each-other',
      severity: 'error',
      comment: 'Pipeline stages talk through core types and the Bus, never directly.',
      from: { path: `^src/${STAGES}/` },
      to: { path: `^src/${STAGES}/`, pathNot: '^src/$1/' },
    },
    {
      name: 'only-app-wires-adapters',
      severity: 'error',
      comment:
        'Concrete Store/Bus implementations are chosen in src/app (the composition root) only.',
      from: { path: '^src/', pathNot: '^src/(app|store|bus)/' },
      to: { path: '^src/(store|bus)/' },
    },
    {
      name: 'import-modules-through-their-index',
      severity: 'error',
      comment: "Another module's internals are private; import its index.ts.",
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/', pathNot: ['^src/$1/', 'index\\.ts$'] },
    },
    {
      name: 'pure-modules-use-no-node-builtins',
      severity: 'error',
      comment:
        'core and detect run anywhere (tests, workers, browser rule editor): no fs/net/process.',
      from: { path: '^src/(core|detect)/', pathNot: '\\.test\\.ts$' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'sigma-matcher-sees-only-the-ir',
      severity: 'error',
      comment: 'parse -> ast <- compile -> ir <- match; the matcher never touches YAML or the AST.',
      from: { path: '^src/detect/sigma/match' },
      to: { path: '^src/detect/sigma/(parse|ast)' },
    },
    {
      name: 'web-sees-only-the-api-contract',
      severity: 'error',
      from: { path: '^web/' },
      to: { path: '^src/', pathNot: '^src/api/contract' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: 'node_modules' },
    tsPreCompilationDeps: true,
  },
};
