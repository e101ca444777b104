'use strict';
/**
 * artillery-engine-sluice: an Artillery engine (`config.engines.sluice`) whose virtual users
 * each send one event to the pattern's source, stamped as sluice stamps its own — `sluiceId`
 * and `sentAtMs` in the body (S3: in the object key's last segment, `<sentAtMs>-<id>`, as a
 * remote consumer reads it) — so sluice's consumer accounts for every event Artillery sends,
 * wherever Artillery runs it (`artillery run`, `run-fargate`, `run-lambda`).
 *
 * Settings (written by `sluice export-artillery`): source, region, endpoint (a local
 * endpoint; absent on AWS), the source's resource (queueUrl, streamName, busName + eventSource
 * + detailType, bucket + keyPrefix, apiUrl), eventSizeBytes, and the id block: `idBase` plus
 * `idStride` × the Artillery worker's index (LOCAL_WORKER_ID, or WORKER_ID on the cloud
 * runners), so two workers never stamp the same id.
 *
 * Counters: sluice.sent, sluice.accepted, sluice.throttled, sluice.failed, and the same per
 * worker as sluice.worker.<block>.<count> (Artillery merges counters across workers by name,
 * so the report keeps each worker's own). With `idBlocks: random` (cloud runners) the block
 * is a random 32-bit number and ids are block × idBlockSize + n.
 * Engine contract: https://www.artillery.io/docs/reference/extension-apis#engines
 */

const throttleCodes = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'SlowDown', 'TooManyRequestsException', 'RequestLimitExceeded']);

function workerIndex() {
  const raw = process.env.LOCAL_WORKER_ID ?? process.env.WORKER_ID ?? '0';
  const parsed = Number.parseInt(String(raw).replace(/\D/g, '').slice(-6) || '0', 10);
  return Number.isFinite(parsed) ? parsed : 0;
}

function clientConfig(settings) {
  return {
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint, credentials: { accessKeyId: 'sluice', secretAccessKey: 'sluice' } } : {}),
    maxAttempts: 3,
  };
}

/** The sender of one source: `send(id, body, key)` resolves when the source answered. */
function senderFor(settings, target) {
  switch (settings.source) {
    case 'sqs': {
      const { SQSClient, SendMessageCommand } = require('@aws-sdk/client-sqs');
      const client = new SQSClient(clientConfig(settings));
      return { client, send: (id, body) => client.send(new SendMessageCommand({ QueueUrl: settings.queueUrl, MessageBody: body })) };
    }
    case 'kinesis': {
      const { KinesisClient, PutRecordCommand } = require('@aws-sdk/client-kinesis');
      const client = new KinesisClient(clientConfig(settings));
      return { client, send: (id, body, key) => client.send(new PutRecordCommand({ StreamName: settings.streamName, PartitionKey: key, Data: Buffer.from(body) })) };
    }
    case 'eventbridge': {
      const { EventBridgeClient, PutEventsCommand } = require('@aws-sdk/client-eventbridge');
      const client = new EventBridgeClient(clientConfig(settings));
      return {
        client,
        async send(id, body) {
          const answer = await client.send(new PutEventsCommand({ Entries: [{ EventBusName: settings.busName, Source: settings.eventSource, DetailType: settings.detailType, Detail: body }] }));
          const entry = (answer.Entries ?? [])[0];
          if (entry && entry.ErrorCode) throw Object.assign(new Error(entry.ErrorMessage ?? entry.ErrorCode), { name: entry.ErrorCode });
        },
      };
    }
    case 's3': {
      const { S3Client, PutObjectCommand } = require('@aws-sdk/client-s3');
      const client = new S3Client({ ...clientConfig(settings), forcePathStyle: true });
      return {
        client,
        send: (id, body, key, sentAtMs) =>
          client.send(new PutObjectCommand({ Bucket: settings.bucket, Key: `${settings.keyPrefix ?? ''}${key}/${sentAtMs}-${id}${settings.keySuffix ?? '.json'}`, Body: body, ContentType: 'application/json' })),
      };
    }
    case 'apigateway': {
      const url = settings.apiUrl ?? target;
      return {
        client: undefined,
        async send(id, body) {
          const response = await fetch(url, { method: settings.method ?? 'POST', headers: { 'content-type': 'application/json' }, body });
          await response.arrayBuffer();
          if (response.status === 429) throw Object.assign(new Error('429 Too Many Requests'), { name: 'TooManyRequestsException' });
          if (response.status >= 400 && response.status < 500) throw Object.assign(new Error(`HTTP ${response.status}`), { name: `Http${response.status}` });
        },
      };
    }
    default:
      throw new Error(`artillery-engine-sluice: unknown source ${JSON.stringify(settings.source)} (sqs, kinesis, eventbridge, s3 or apigateway)`);
  }
}

class SluiceEngine {
  constructor(script, ee, helpers) {
    this.script = script;
    this.ee = ee;
    this.helpers = helpers;
    this.settings = (script.config.engines && script.config.engines.sluice) || script.config.sluice;
    if (!this.settings || !this.settings.source) throw new Error('artillery-engine-sluice: config.engines.sluice.source is not set (write the script with `sluice export-artillery`)');
    this.sender = senderFor(this.settings, script.config.target);
    if (this.settings.idBlocks === 'random') {
      // Cloud workers have no index (Fargate's WORKER_ID is a random string): a random 32-bit
      // block number, ids block × idBlockSize + n, under 2^52 and so exact in a JavaScript number.
      this.idBlock = require('node:crypto').randomBytes(4).readUInt32BE(0);
      this.nextId = this.idBlock * (this.settings.idBlockSize ?? 2 ** 20);
    } else {
      this.idBlock = workerIndex();
      this.nextId = (this.settings.idBase ?? 0) + this.idBlock * (this.settings.idStride ?? 1_000_000);
    }
    this.keyCount = this.settings.keyCount ?? 100;
    this.eventSizeBytes = this.settings.eventSizeBytes ?? 256;
    return this;
  }

  /** One event in sluice's envelope, padded to the event size. */
  event(nowMs) {
    const id = this.nextId++;
    const key = `key-${id % this.keyCount}`;
    const envelope = { sluiceId: id, sentAtMs: nowMs, key };
    const unpadded = JSON.stringify({ ...envelope, pad: '' });
    const body = JSON.stringify({ ...envelope, pad: 'x'.repeat(Math.max(0, this.eventSizeBytes - Buffer.byteLength(unpadded))) });
    return { id, key, body };
  }

  /** The run's counter and this worker's own. */
  count(ee, name) {
    ee.emit('counter', `sluice.${name}`, 1);
    ee.emit('counter', `sluice.worker.${this.idBlock}.${name}`, 1);
  }

  createScenario(scenarioSpec, ee) {
    const engine = this;
    return function scenario(initialContext, callback) {
      ee.emit('started');
      const sentAtMs = Date.now();
      const event = engine.event(sentAtMs);
      engine.count(ee, 'sent');
      engine.sender.send(event.id, event.body, event.key, sentAtMs).then(
        () => {
          engine.count(ee, 'accepted');
          ee.emit('histogram', 'sluice.send_ms', Date.now() - sentAtMs);
          callback(null, initialContext);
        },
        (error) => {
          engine.count(ee, throttleCodes.has(error.name) ? 'throttled' : 'failed');
          ee.emit('error', `sluice ${engine.settings.source}: ${error.name}`);
          callback(null, initialContext);
        },
      );
    };
  }

  cleanup(done) {
    if (this.sender.client) this.sender.client.destroy();
    if (typeof done === 'function') done();
  }
}

module.exports = SluiceEngine;
