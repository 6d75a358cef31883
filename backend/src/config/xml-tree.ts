/**
 * Reads XML into a small element tree that remembers where each element
 * starts, so configuration errors can name the file, line and element.
 */
import { SaxesParser } from 'saxes';

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
  line: number;
}

export class XmlSyntaxError extends Error {}

export function parseXml(xml: string): XmlElement {
  const parser = new SaxesParser({ position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let failure: Error | undefined;

  parser.on('error', (err) => {
    // saxes words it "LINE:COLUMN: problem"; keep the problem, and the line in our own format.
    failure ??= new XmlSyntaxError(`${parser.line}: XML syntax error: ${err.message.replace(/^(?:[^:]*:)?\d+:\d+: /, '')}`);
  });
  parser.on('opentagstart', (tag) => {
    const element: XmlElement = { name: tag.name, attributes: {}, children: [], text: '', line: parser.line };
    stack.at(-1)?.children.push(element);
    root ??= element;
    stack.push(element);
  });
  parser.on('opentag', (tag) => {
    const element = stack.at(-1);
    if (element) element.attributes = { ...(tag.attributes as Record<string, string>) };
  });
  parser.on('text', (text) => {
    const element = stack.at(-1);
    if (element) element.text += text;
  });
  parser.on('cdata', (text) => {
    const element = stack.at(-1);
    if (element) element.text += text;
  });
  parser.on('closetag', () => {
    stack.pop();
  });

  parser.write(xml).close();
  if (failure) throw failure;
  if (!root) throw new XmlSyntaxError('1: the document has no root element');
  return root;
}
