/**
 * Building the page with DOM calls only. Every key, value, name and message
 * the API returns is user data: it goes into the page as textContent or as
 * an attribute value, never as HTML (the page's CSP also enforces Trusted
 * Types, so an HTML sink would throw).
 */

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Attributes to set (never parsed); `text` becomes the textContent; null, undefined and false are left out. */
export type Attrs = Record<string, string | number | boolean | null | undefined>;
export type Child = Node | string | number | null | undefined | false | Child[];

/** The element with this id; a page without it is a broken build, so that throws. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no element #${id}`);
  return node as T;
}

export function input(id: string): HTMLInputElement {
  return byId<HTMLInputElement>(id);
}

export function select(id: string): HTMLSelectElement {
  return byId<HTMLSelectElement>(id);
}

export function button(id: string): HTMLButtonElement {
  return byId<HTMLButtonElement>(id);
}

/** The first tbody of the table with this id. */
export function tableBody(id: string): HTMLTableSectionElement {
  const body = byId<HTMLTableElement>(id).tBodies[0];
  if (!body) throw new Error(`the table #${id} has no body`);
  return body;
}

function setAttrs(node: Element, attrs: Attrs | null): void {
  for (const [name, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (name === 'text') node.textContent = String(v);
    else node.setAttribute(name, String(v));
  }
}

export function append(node: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(node, ...child);
    else node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** An HTML element with attributes and children (strings become text nodes). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  append(node, ...children);
  return node;
}

/** An SVG element, built the same way. */
export function svg(tag: string, attrs: Attrs | null, ...children: Child[]): SVGElement {
  const node = document.createElementNS(SVG_NS, tag) as SVGElement;
  setAttrs(node, attrs);
  append(node, ...children);
  return node;
}

export function clear<T extends Node>(node: T): T {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

/** Replaces the children of `node`. */
export function fill<T extends Node>(node: T, ...children: Child[]): T {
  clear(node);
  append(node, ...children);
  return node;
}

export function show(node: HTMLElement, visible: boolean): void {
  node.hidden = !visible;
}
