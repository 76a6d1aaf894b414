/**
 * The import rules of the code base (docs/architecture.md, "Modules"), checked
 * by `npm run deps` and by test/unit/dependency-rules.test.ts in CI.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import circle makes load order matter and hides which module owns what.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'parsers-are-a-leaf',
      severity: 'error',
      comment: 'parsers/ is a library of its own: it imports nothing from the core or the outputs.',
      from: { path: '^parsers/' },
      to: { path: '^(src|outputs)/' },
    },
    {
      name: 'core-knows-outputs-only-by-the-registry',
      severity: 'error',
      comment: 'The core reaches outputs through outputs/registry.ts (their definitions) and the contract in src/output/.',
      from: { path: '^src/' },
      to: { path: '^outputs/', pathNot: '^outputs/registry\\.ts$' },
    },
    {
      name: 'outputs-stay-in-their-folder',
      severity: 'error',
      comment: 'An output imports its own folder, the core and the shared object core, never another output.',
      from: { path: '^outputs/([^/]+)/', pathNot: '^outputs/opensearch/' },
      to: { path: '^outputs/', pathNot: ['^outputs/$1/', '^outputs/objects/'] },
    },
    {
      name: 'outputs-stay-in-their-folder',
      severity: 'error',
      comment: 'OpenSearch speaks the Elasticsearch bulk protocol: its output shares the elasticsearch folder, and only that.',
      from: { path: '^outputs/opensearch/' },
      to: { path: '^outputs/', pathNot: ['^outputs/opensearch/', '^outputs/objects/', '^outputs/elasticsearch/'] },
    },
    {
      name: 'tailer-owns-its-resume-point',
      severity: 'error',
      comment: 'Checkpoints depend on the tailer, not the other way round.',
      from: { path: '^src/tail/' },
      to: { path: '^src/(checkpoint|pipeline|buffer|output)/' },
    },
    {
      name: 'buffers-move-bytes-only',
      severity: 'error',
      comment: 'Buffers hold records; they know neither parsers nor the pipeline that feeds them.',
      from: { path: '^src/buffer/' },
      to: { path: '^(parsers|src/pipeline|src/tail)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules|test|bench|scripts)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
