import { describe, expect, it } from 'vitest';
import { decodeS3EventKey, encodeS3EventKey } from '../../core/s3-key-encoding.ts';

describe('s3 event key encoding', () => {
  it('writes a space as + and a literal + as %2B, as the notification guide shows', () => {
    expect(encodeS3EventKey('red flower.jpg')).toBe('red+flower.jpg');
    expect(encodeS3EventKey('a+b')).toBe('a%2Bb');
  });

  it('leaves / as it is, so the prefix stays readable', () => {
    expect(encodeS3EventKey('photos/2026/01/x.jpg')).toBe('photos/2026/01/x.jpg');
  });

  it('percent-encodes non-ASCII characters as UTF-8 bytes', () => {
    expect(encodeS3EventKey('café/ü.txt')).toBe('caf%C3%A9/%C3%BC.txt');
  });

  it.each(['red flower.jpg', 'a+b c++', 'photos/2026/01 02/x y.jpg', 'café/ü 日本語 🚀.txt', '100%/x&y=z?#', ' leading and trailing '])(
    'decodes what it encodes: %j',
    (key) => {
      expect(decodeS3EventKey(encodeS3EventKey(key))).toBe(key);
    },
  );

  it('decodes a key S3 wrote', () => {
    expect(decodeS3EventKey('sluice/run+1/caf%C3%A9%2Bx.json')).toBe('sluice/run 1/café+x.json');
  });
});
