// Property: the SQLite database (sealed secrets, password hashes, the audit log) is readable by its owner
// only, as the master key: otpgate.db and its -wal and -shm files are created 0600 and the data directory
// 0700 whatever the umask allows, and an installation made before (files 0644, directory 0755) is tightened
// when it is opened.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/runtime/config.js';
import { initInstance, openInstance } from '../../src/runtime/instance.js';
import { OPERATOR } from '../../src/services/context.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('file modes', () => {
  const parent = makeTempDir('otpgate-modes-');
  after(() => rmSync(parent, { recursive: true, force: true }));
  // The usual umask, which by itself gives 0644 files and 0755 directories.
  process.umask(0o022);

  it('a new data directory is 0700, the database and its -wal and -shm files 0600', async () => {
    const dataDir = join(parent, 'new', 'data');
    const config = loadConfig({ OTPGATE_DATA_DIR: dataDir, OTPGATE_SCRYPT_LOG2N: '10' });
    const { instance } = await initInstance(config);
    try {
      // A write while the connection is open: the -wal and -shm files exist now.
      await instance.services.accounts.create(OPERATOR, 'acme');
      const files = ['otpgate.db', 'otpgate.db-wal', 'otpgate.db-shm', 'master.key'].map((name) => join(dataDir, name));
      for (const file of files) assert.ok(existsSync(file), `${file} exists`);
      assert.deepEqual(
        files.map((file) => [file, mode(file)]),
        files.map((file) => [file, 0o600]),
      );
      assert.equal(mode(dataDir), 0o700);
    } finally {
      await instance.close();
    }
  });

  it('files and a data directory from before are tightened when opened', async () => {
    const dataDir = join(parent, 'old', 'data');
    const config = loadConfig({ OTPGATE_DATA_DIR: dataDir, OTPGATE_SCRYPT_LOG2N: '10' });
    await (await initInstance(config)).instance.close();
    chmodSync(join(dataDir, 'otpgate.db'), 0o644);
    chmodSync(dataDir, 0o755);
    const instance = await openInstance(config);
    try {
      await instance.services.accounts.create(OPERATOR, 'acme');
      for (const name of ['otpgate.db', 'otpgate.db-wal', 'otpgate.db-shm']) assert.equal(mode(join(dataDir, name)), 0o600, name);
      assert.equal(mode(dataDir), 0o700);
    } finally {
      await instance.close();
    }
  });
});
