import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { testApp } from './cdk';
import { EXAMPLE_APPS } from './example-apps';

/** Every example stack, by key, built in a test App (no asset staging). */
export const EXAMPLES: Record<string, () => Stack> = Object.fromEntries(
  EXAMPLE_APPS.map((e) => [e.key, () => e.build(testApp())]),
);

const cache = new Map<string, Template>();

/** The synthesized template of an example, built once per test file. */
export function exampleTemplate(name: string): Template {
  if (!cache.has(name)) {
    cache.set(name, Template.fromStack(EXAMPLES[name]()));
  }
  return cache.get(name)!;
}
