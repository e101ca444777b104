import { describe, expect, it } from 'vitest';
import { renderJunitXml } from '../../analysis/junit.ts';
import { evaluateThresholds, type ThresholdEvaluation } from '../../analysis/thresholds.ts';
import { loadRunFixture } from '../fixtures/run-results/helpers.ts';

interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/**
 * A strict little XML reader for the subset JUnit uses: declaration, elements, attributes,
 * text and the five predefined entities. It throws on anything malformed (unbalanced or
 * mismatched tags, a raw `<` or `&` in text, unquoted attributes), which is what the test
 * needs to prove: CI tools will parse the file.
 */
function parseXml(xml: string): XmlElement {
  let position = 0;
  const fail = (message: string): never => {
    throw new Error(`${message} at ${position}: ${JSON.stringify(xml.slice(position, position + 40))}`);
  };
  const decode = (text: string) => {
    if (/&(?!(amp|lt|gt|quot|apos);)/.test(text)) fail('bare &');
    return text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&quot;', '"').replaceAll('&apos;', "'").replaceAll('&amp;', '&');
  };
  const skipSpace = () => {
    while (/\s/.test(xml[position] ?? '')) position++;
  };
  const declaration = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/.exec(xml);
  if (!declaration) fail('missing XML declaration');
  position = declaration![0].length;

  const element = (): XmlElement => {
    if (xml[position] !== '<') fail('expected <');
    position++;
    const name = /^[A-Za-z_][\w.-]*/.exec(xml.slice(position))?.[0] ?? fail('bad element name');
    position += name.length;
    const attributes: Record<string, string> = {};
    for (;;) {
      skipSpace();
      if (xml.startsWith('/>', position)) {
        position += 2;
        return { name, attributes, children: [], text: '' };
      }
      if (xml[position] === '>') {
        position++;
        break;
      }
      const attribute = /^([A-Za-z_][\w.-]*)="([^"<]*)"/.exec(xml.slice(position)) ?? fail('bad attribute');
      if (attribute[1] in attributes) fail(`duplicate attribute ${attribute[1]}`);
      attributes[attribute[1]] = decode(attribute[2]);
      position += attribute[0].length;
    }
    const children: XmlElement[] = [];
    let text = '';
    for (;;) {
      if (xml.startsWith(`</${name}>`, position)) {
        position += name.length + 3;
        return { name, attributes, children, text: decode(text) };
      }
      if (xml.startsWith('</', position)) fail(`mismatched closing tag, expected </${name}>`);
      if (xml[position] === '<') children.push(element());
      else if (position >= xml.length) fail(`unclosed <${name}>`);
      else text += xml[position++];
    }
  };
  const root = element();
  skipSpace();
  if (position !== xml.length) fail('content after the root element');
  return root;
}

describe('junit xml', () => {
  const sqs = loadRunFixture('sqs-standard');
  const kinesis = loadRunFixture('kinesis-4-shards');
  const thresholds = ['p99EndToEnd < 2s', 'lost == 0', 'maxIteratorAge < 30s', 'throttleRate < 0.1%'];
  const evaluations: ThresholdEvaluation[] = [evaluateThresholds(sqs, thresholds), evaluateThresholds(kinesis, thresholds)];
  const root = parseXml(renderJunitXml(evaluations));

  it('is well-formed XML with testsuites at the root, counting every case', () => {
    expect(root.name).toBe('testsuites');
    expect(root.attributes).toEqual({ name: 'sluice thresholds', tests: '8', failures: '2', errors: '0', skipped: '1' });
  });

  it('has one testsuite per run and pattern, with its run id and source', () => {
    expect(root.children.map((suite) => suite.attributes.name)).toEqual(['orders-step / sqs-standard', 'orders-step / kinesis-4-shards']);
    const [sqsSuite] = root.children;
    expect(sqsSuite.attributes).toMatchObject({ tests: '4', failures: '1', skipped: '1' });
    const properties = sqsSuite.children.find((c) => c.name === 'properties')!;
    expect(properties.children.map((p) => [p.attributes.name, p.attributes.value])).toEqual([
      ['runId', sqs.runId],
      ['source', 'sqs'],
    ]);
  });

  it('has one testcase per pattern × threshold, named by the expression', () => {
    const cases = root.children.flatMap((suite) => suite.children.filter((c) => c.name === 'testcase'));
    expect(cases).toHaveLength(8);
    expect(cases.slice(0, 4).map((c) => c.attributes.name)).toEqual(thresholds);
    expect(cases[0].attributes.classname).toBe('sluice.orders-step.sqs-standard');
  });

  it('puts the message on a failure, and marks a threshold that does not apply as skipped', () => {
    const cases = root.children[0].children.filter((c) => c.name === 'testcase');
    const failure = cases[0].children[0];
    expect(failure.name).toBe('failure');
    expect(failure.attributes).toEqual({ message: 'p99EndToEnd was 2.56 s, expected < 2 s', type: 'threshold' });
    expect(failure.text).toContain('actual: 2.56 s');
    expect(cases[1].children).toEqual([]);
    expect(cases[2].children[0]).toMatchObject({ name: 'skipped', attributes: { message: expect.stringContaining('does not apply') } });
  });

  it('escapes names and messages, and drops characters XML cannot hold', () => {
    const run = loadRunFixture('sqs-standard');
    run.scenario.name = 'a&b';
    run.patterns[0].name = `q"<'>\u0001`;
    const xml = renderJunitXml(evaluateThresholds(run, ['p99EndToEnd < 2s']), { name: 'x & y' });
    const parsed = parseXml(xml);
    expect(parsed.attributes.name).toBe('x & y');
    expect(parsed.children[0].attributes.name).toBe(`a&b / q"<'>`);
  });

  it('uses a reader that does reject malformed XML', () => {
    const head = '<?xml version="1.0" encoding="UTF-8"?>\n';
    expect(() => parseXml(`${head}<a><b></a>`)).toThrow(/mismatched/);
    expect(() => parseXml(`${head}<a>1 < 2</a>`)).toThrow();
    expect(() => parseXml(`${head}<a x="1 & 2"/>`)).toThrow(/bare &/);
    expect(() => parseXml(`${head}<a>`)).toThrow(/unclosed/);
  });

  it('renders an empty evaluation as an empty, valid report', () => {
    const empty = parseXml(renderJunitXml([]));
    expect(empty).toMatchObject({ name: 'testsuites', attributes: { tests: '0', failures: '0' }, children: [] });
  });
});
