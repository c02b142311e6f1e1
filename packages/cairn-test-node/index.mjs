// ESM entry: the same functions as the CommonJS index.js.
import cairn from './index.js';

export const {
  startCairn,
  connect,
  clientConfig,
  reset,
  save,
  restore,
  deleteSnapshot,
  snapshots,
  endpoint,
  jestGlobalSetup,
  jestGlobalTeardown,
  vitestGlobalSetup,
  findBinary,
  freePort,
  CairnError,
  REGION,
} = cairn;
export default cairn;
