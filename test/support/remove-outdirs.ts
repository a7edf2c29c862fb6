/** Jest setup for every project: the cloud assemblies a test file's apps wrote go with it (support/outdir.ts). */
import { removeOutdirs } from './outdir';

afterAll(removeOutdirs);
