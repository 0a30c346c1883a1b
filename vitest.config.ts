import { defineConfig } from 'vitest/config';

// Integration suites start real Mosquitto/ffmpeg processes on free loopback ports, so files run in
// separate processes (forks) and timeouts are generous; nothing asserts wall-clock speed.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
