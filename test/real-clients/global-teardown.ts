/** Remove what global-setup.ts made. */
import { removeDir } from './support/proc';

export default function globalTeardown(): void {
  for (const dir of JSON.parse(process.env.CDK_PRIVATE_EKS_SHARED_DIRS ?? '[]') as string[]) {
    removeDir(dir);
  }
}
