/** Image references (lib/private/image-reference.ts), against distribution/reference's normalisation. */
import * as fc from 'fast-check';
import { formatImageReference, parseImageReference } from '../../lib/private/image-reference';

describe('parseImageReference', () => {
  // The cases of distribution/reference normalize_test.go (TestParseNormalizedNamed) that concern us.
  test.each([
    ['nginx', { registry: 'docker.io', path: 'library/nginx' }],
    ['nginx:1.27', { registry: 'docker.io', path: 'library/nginx', tag: '1.27' }],
    ['docker.io/nginx', { registry: 'docker.io', path: 'library/nginx' }],
    ['index.docker.io/library/nginx', { registry: 'docker.io', path: 'library/nginx' }],
    ['bitnami/redis:7.4', { registry: 'docker.io', path: 'bitnami/redis', tag: '7.4' }],
    ['registry.k8s.io/pause:3.10', { registry: 'registry.k8s.io', path: 'pause', tag: '3.10' }],
    [
      'quay.io/prometheus/node-exporter:v1.8.2',
      { registry: 'quay.io', path: 'prometheus/node-exporter', tag: 'v1.8.2' },
    ],
    ['localhost/app', { registry: 'localhost', path: 'app' }],
    ['localhost:5000/app:1', { registry: 'localhost:5000', path: 'app', tag: '1' }],
    [
      `public.ecr.aws/eks/aws-load-balancer-controller@sha256:${'a'.repeat(64)}`,
      { registry: 'public.ecr.aws', path: 'eks/aws-load-balancer-controller', digest: `sha256:${'a'.repeat(64)}` },
    ],
  ])('%s', (image, expected) => {
    expect(parseImageReference(image)).toEqual(expected);
  });

  test.each([
    '',
    'Nginx',
    'nginx:',
    'nginx:-1',
    'a//b',
    'nginx@sha256:abc',
    'nginx\n',
    "nginx';id",
    '$(id)/x',
    `a/${'b'.repeat(260)}`,
  ])('%j is refused', (image) => {
    expect(typeof parseImageReference(image)).toBe('string');
  });

  test('generated references: an accepted one formats back into a reference that parses to the same path, tag and digest', () => {
    const piece = fc.constantFrom(
      'a',
      'z',
      '0',
      '.',
      '_',
      '__',
      '-',
      '/',
      ':',
      '@',
      'sha256:',
      'f'.repeat(32),
      'docker.io/',
      'Q',
      ' ',
      '$',
      "'",
      '\n',
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 12 }).map((p) => p.join('')),
        (image) => {
          const ref = parseImageReference(image);
          if (typeof ref === 'string') {
            return;
          }
          // Nothing a shell, YAML or TOML would read specially survives the grammar.
          expect(image).toMatch(/^[A-Za-z0-9._\-/:@]+$/);
          const again = parseImageReference(
            formatImageReference('111122223333.dkr.ecr.us-east-1.amazonaws.com', 'cache', ref),
          );
          expect(again).toEqual({
            ...ref,
            registry: '111122223333.dkr.ecr.us-east-1.amazonaws.com',
            path: `cache/${ref.path}`,
          });
        },
      ),
      { numRuns: 3000 },
    );
  });
});
