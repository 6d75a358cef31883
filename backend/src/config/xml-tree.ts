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
  let lastClosed: XmlElement | undefined;

  parser.on('error', (err) => {
    // saxes words it "LINE:COLUMN: problem"; keep the problem, and the line in our own format.
    let problem = err.message.replace(/^(?:[^:]*:)?\d+:\d+: /, '');
    // saxes closes the innermost open element before reporting a mismatched close tag; name it.
    if (problem === 'unexpected close tag.' && lastClosed) {
      problem = `unexpected close tag, expected </${lastClosed.name}> (opened on line ${lastClosed.line}).`;
    }
    failure ??= new XmlSyntaxError(`${parser.line}: XML syntax error: ${problem}`);
  });
  parser.on('opentagstart', (tag) => {
    // saxes has already read the character after the name; when that was a line
    // break (`<service` then attributes on the next lines) it is at column 0 of
    // the following line, while the element starts on the line before.
    const line = parser.column === 0 ? parser.line - 1 : parser.line;
    const element: XmlElement = { name: tag.name, attributes: {}, children: [], text: '', line };
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
    lastClosed = stack.pop();
  });

  parser.write(xml).close();
  if (failure) throw failure;
  if (!root) throw new XmlSyntaxError('1: the document has no root element');
  return root;
}
