/**
 * The proxy environment as a node really gets it: the /etc/environment block the generated boothook
 * writes on its first run in the sandbox.
 */
import { boothooks } from './cloudinit';
import { Deployment } from './examples';
import { environmentBlock, runBoothookInSandbox } from './sandbox';

export function generatedEtcEnvironment(d: Deployment): Record<string, string> {
  const scripts = boothooks(d);
  if (scripts.length !== 1) {
    throw new Error(`${d.label}: expected one boothook, found ${scripts.length}`);
  }
  const result = runBoothookInSandbox(scripts[0].script, 1);
  if (result.runs[1].rc !== 0) {
    throw new Error(`${d.label}: boothook failed: ${result.runs[1].stderr}`);
  }
  return environmentBlock(result.runs[1].files.environment);
}
