/**
 * The layering of lib/, checked by `npm run check:deps` (part of `npm test`).
 *
 * - no cycles, type-only imports included (tsPreCompilationDeps);
 * - lib/private/ is a leaf: it imports nothing of this library outside lib/private/;
 * - renderers (text in, text out) import no construct module: neither aws-cdk-lib nor constructs, nor a
 *   file of this library that defines a construct.
 */

/** Pure renderers: user data, the Kubernetes chart and patches, squid.conf and the egress user data. */
const RENDERERS = [
  '^lib/nodes/user-data/',
  '^lib/manifests/proxy-chart\\.ts$',
  '^lib/manifests/proxy-patch\\.ts$',
  '^lib/proxy/render-environment\\.ts$',
  '^lib/proxy/no-proxy\\.ts$',
  '^lib/egress/squid-config\\.ts$',
  '^lib/egress/allowlist\\.ts$',
  '^lib/egress/proxy-user-data\\.ts$',
  '^lib/credentials/writer-rbac\\.ts$',
];

/** Files of this library that define or build constructs (they import aws-cdk-lib or constructs). */
const CONSTRUCT_MODULES = [
  '^lib/cluster/',
  '^lib/nodes/[^/]+\\.ts$',
  '^lib/egress/egress-proxy\\.ts$',
  '^lib/endpoints/endpoint-set\\.ts$',
  '^lib/credentials/(?!secret-reference|writer-rbac)[^/]+\\.ts$',
  '^lib/egress/egress-props\\.ts$',
  '^lib/manifests/proxy-manifests\\.ts$',
  '^lib/proxy/proxy-settings\\.ts$',
  '^lib/index\\.ts$',
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      severity: 'error',
      comment: 'An import cycle (type-only imports count): split the shared part into its own module.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'private-is-a-leaf',
      severity: 'error',
      comment: 'lib/private/ holds helpers for the public modules; it must not import them back.',
      from: { path: '^lib/private/' },
      to: { path: '^lib/', pathNot: '^lib/private/' },
    },
    {
      name: 'renderer-imports-no-cdk',
      severity: 'error',
      comment: 'A renderer is pure (text in, text out): no aws-cdk-lib and no constructs.',
      from: { path: RENDERERS, pathNot: '^lib/manifests/proxy-chart\\.ts$' },
      to: { path: '^node_modules/(aws-cdk-lib|constructs)/' },
    },
    {
      name: 'renderer-imports-no-construct-module',
      severity: 'error',
      comment: 'A renderer must not depend on a construct module of this library.',
      from: { path: RENDERERS },
      to: { path: CONSTRUCT_MODULES },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.(js|d\\.ts)$|__pycache__' },
    tsPreCompilationDeps: true,
    // The TypeScript sources, not the JavaScript jsii writes next to them after a build.
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
    tsConfig: { fileName: 'tsconfig.dev.json' },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
