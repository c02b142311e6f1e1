// Vitest globalSetup (ESM form): see vitest-global-setup.js.
import cairn from './index.js';

export default cairn.vitestGlobalSetup();
