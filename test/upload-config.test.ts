import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAllowed } from '../src/attachments/attachment.service.js';
import { LocalDiskStorage } from '../src/attachments/storage.js';
import { DEFAULT_ALLOWED_TYPES, loadConfig } from '../src/config/config.js';

describe('upload configuration and storage', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'parley-upload-config-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('defaults to 25 MB per file, 10 files, 100 MB per request, under DATA_DIR/attachments', () => {
    const { uploads } = loadConfig({ DATA_DIR: dataDir });
    expect(uploads).toEqual({
      dir: join(dataDir, 'attachments'),
      maxFileBytes: 25 * 1024 * 1024,
      maxFiles: 10,
      maxRequestBytes: 100 * 1024 * 1024,
      allowedTypes: DEFAULT_ALLOWED_TYPES,
    });
  });

  it('reads ATTACHMENTS_DIR, the limits and a lower-cased allow-list', () => {
    const { uploads } = loadConfig({
      DATA_DIR: dataDir,
      ATTACHMENTS_DIR: join(dataDir, 'elsewhere'),
      UPLOAD_MAX_FILE_BYTES: '1000',
      UPLOAD_MAX_FILES: '2',
      UPLOAD_MAX_REQUEST_BYTES: '5000',
      UPLOAD_ALLOWED_TYPES: 'Image/PNG, audio/*',
    });
    expect(uploads).toEqual({ dir: join(dataDir, 'elsewhere'), maxFileBytes: 1000, maxFiles: 2, maxRequestBytes: 5000, allowedTypes: ['image/png', 'audio/*'] });
  });

  it.each([
    [{ UPLOAD_MAX_FILE_BYTES: '0' }, /UPLOAD_MAX_FILE_BYTES/],
    [{ UPLOAD_MAX_FILE_BYTES: '3000000000' }, /UPLOAD_MAX_FILE_BYTES/],
    [{ UPLOAD_MAX_FILES: '101' }, /UPLOAD_MAX_FILES/],
    [{ UPLOAD_MAX_REQUEST_BYTES: '10' }, /UPLOAD_MAX_REQUEST_BYTES/],
    [{ UPLOAD_ALLOWED_TYPES: 'png' }, /UPLOAD_ALLOWED_TYPES/],
    [{ UPLOAD_ALLOWED_TYPES: '*/*' }, /UPLOAD_ALLOWED_TYPES/],
  ])('fails fast naming the variable: %o', (env, message) => {
    expect(() => loadConfig({ DATA_DIR: dataDir, ...env })).toThrow(message);
  });

  it('matches exact types and type/* families, and leaves markup out by default', () => {
    expect(isAllowed('audio/wav', ['audio/*'])).toBe(true);
    expect(isAllowed('image/png', ['image/png'])).toBe(true);
    expect(isAllowed('image/gif', ['image/png'])).toBe(false);
    for (const type of ['text/html', 'image/svg+xml', 'application/xml', 'application/zip', 'application/x-msdownload']) {
      expect(isAllowed(type, DEFAULT_ALLOWED_TYPES)).toBe(false);
    }
  });

  it('clears staging files a crashed process left behind, keeping recent ones', async () => {
    const staging = join(dataDir, '.staging');
    mkdirSync(staging, { recursive: true });
    writeFileSync(join(staging, 'old.part'), 'x');
    writeFileSync(join(staging, 'live.part'), 'x');
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    utimesSync(join(staging, 'old.part'), twoDaysAgo, twoDaysAgo);
    await new LocalDiskStorage(dataDir).init();
    expect(readdirSync(staging)).toEqual(['live.part']);
  });
});
