/**
 * How S3 writes an object key in an event notification: URL-encoded as an HTML form value,
 * so a space becomes `+` and a literal `+` becomes `%2B`; `/` is left as it is. A consumer
 * must decode it before using the key, and a stand-in for S3 must encode it the same way.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 * ("The s3 key provides information about the bucket and object involved in the event. The
 * object key name value is URL encoded. For example, "red flower.jpg" becomes "red+flower.jpg"")
 */

/**
 * Encodes an object key as S3 writes it in the `s3.object.key` field of an event record.
 *
 * @example
 * encodeS3EventKey('photos/red flower+1.jpg'); // 'photos/red+flower%2B1.jpg'
 */
export function encodeS3EventKey(key: string): string {
  return encodeURIComponent(key).replaceAll('%2F', '/').replaceAll('%20', '+');
}

/**
 * Decodes the `s3.object.key` of an S3 event record back to the object's key: `+` is a
 * space, then percent escapes are UTF-8 bytes. The inverse of {@link encodeS3EventKey}.
 *
 * @example
 * decodeS3EventKey('photos/red+flower%2B1.jpg'); // 'photos/red flower+1.jpg'
 */
export function decodeS3EventKey(encodedKey: string): string {
  return decodeURIComponent(encodedKey.replaceAll('+', ' '));
}
