/** Check 3b for AL2023: the shell-script parts in the sandbox (support/node-parts-suite.ts). */
import { nodePartsSuite } from './support/node-parts-suite';

nodePartsSuite('AL2023');
