import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Worker threads and the CLI binary run dist/ while tests import src/: rebuild dist/ first when
    // src/ changed since it was built, so the code under test is the code of src/.
    globalSetup: ['scripts/build.mjs'],
    // Real ffmpeg, real models, two cores: files run one at a time so they do not starve each other.
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
