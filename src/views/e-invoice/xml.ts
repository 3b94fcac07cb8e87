/**
 * A small XML writer for the e-invoices: elements as data, written with every text and attribute
 * escaped, and characters XML 1.0 cannot carry at all (control characters) left out rather than sent.
 */

export interface XmlElement {
  name: string;
  attributes: ReadonlyArray<readonly [string, string]>;
  /** Text content, or child elements. */
  content: string | readonly XmlElement[];
}

type Child = XmlElement | null | false | undefined;

/** An element with children (absent ones, written as null, false or undefined, are left out). */
export function el(name: string, children: readonly Child[], attributes: Record<string, string> = {}): XmlElement {
  return {
    name,
    attributes: Object.entries(attributes),
    content: children.filter((c): c is XmlElement => c !== null && c !== false && c !== undefined),
  };
}

/** An element holding text; null text: no element at all. */
export function text(name: string, value: string | null, attributes: Record<string, string> = {}): XmlElement | null {
  return value === null ? null : { name, attributes: Object.entries(attributes), content: value };
}

// Tab, line feed, carriage return and everything from space up, minus surrogates and U+FFFE/U+FFFF.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const ENTITIES = new Map([
  ['&', '&amp;'],
  ['<', '&lt;'],
  ['>', '&gt;'],
  ['"', '&quot;'],
  ["'", '&apos;'],
]);

export function escapeXml(value: string): string {
  return value.replace(NOT_XML_CHAR, '').replace(/[&<>"']/g, (c) => ENTITIES.get(c)!);
}

function write(element: XmlElement, depth: number, out: string[]): void {
  const indent = '  '.repeat(depth);
  const attributes = element.attributes.map(([k, v]) => ` ${k}="${escapeXml(v)}"`).join('');
  if (typeof element.content === 'string') {
    out.push(`${indent}<${element.name}${attributes}>${escapeXml(element.content)}</${element.name}>`);
  } else if (element.content.length === 0) {
    out.push(`${indent}<${element.name}${attributes}/>`);
  } else {
    out.push(`${indent}<${element.name}${attributes}>`);
    for (const child of element.content) write(child, depth + 1, out);
    out.push(`${indent}</${element.name}>`);
  }
}

/** The document: the XML declaration (UTF-8) and the root element, indented. */
export function renderXml(root: XmlElement): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  write(root, 0, out);
  return `${out.join('\n')}\n`;
}
