import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Starts one Cairn server for the run: process.env.CAIRN_ENDPOINT and inject('cairnEndpoint').
    globalSetup: ['@cairn-db/test/vitest-global-setup'],
  },
});
