import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MarkdownOptions, Plugin } from 'vitepress';

type ShikiTransformer = NonNullable<MarkdownOptions['codeTransformers']>[number];

/** FNV-1a, 32 bits, kept to 4 base-36 digits: a short stable class name for a style string (a collision throws, see `register`). */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return ((h >>> 0) % 36 ** 4).toString(36);
}

/** The text colour of VitePress's default code themes (github-light, github-dark), lower case. */
const DEFAULT = '--shiki-light:#24292e;--shiki-dark:#e1e4e8';

function styleText(style: unknown): string {
  if (typeof style === 'string') return style;
  if (style === null || typeof style !== 'object') return '';
  return Object.entries(style as Record<string, string>).map(([k, v]) => `${k}:${v}`).join(';');
}

/**
 * Shiki writes every token of a code block as `<span style="--shiki-light:#..;--shiki-dark:#..">`:
 * about 50 bytes a token, most of the weight of pages with code (the runtime-web README page was
 * 77 KB, 32 KB of it code blocks with 4.6 KB of code). This transformer (the idea of
 * `@shikijs/transformers`' `transformerStyleToClass`, with shorter names) moves each distinct style
 * into a class (neighbouring tokens of one colour become one span, and the default colour is set
 * once on the block), and the Vite plugin writes their rules into one stylesheet,
 * `shiki-classes.css`, in the client build. Only for `vitepress build`; `vitepress dev` keeps
 * inline styles.
 */
export function shikiClasses(): { transformer: ShikiTransformer; plugin: Plugin; href: string } {
  const styles = new Map<string, string>();
  const register = (text: string): string => {
    const name = `s${hash(text)}`;
    const seen = styles.get(name);
    if (seen !== undefined && seen !== text) throw new Error(`shikiClasses: class ${name} would stand for two styles: '${seen}' and '${text}'`);
    styles.set(name, text);
    return name;
  };
  const transformer: ShikiTransformer = {
    name: 'd4rt:style-to-class',
    pre(node) {
      const style = node.properties.style;
      if (typeof style !== 'string' || style === '') return;
      delete node.properties.style;
      if (!style.toLowerCase().startsWith(DEFAULT)) this.addClassToHast(node, register(style));
    },
    tokens(lines) {
      for (let l = 0; l < lines.length; l++) {
        const merged: typeof lines[number] = [];
        for (const token of lines[l]!) {
          const text = styleText(token.htmlStyle);
          const last = merged[merged.length - 1];
          // Neighbours of one style become one span; whitespace takes any style.
          if (last !== undefined && (styleText(last.htmlStyle) === text || token.content.trim() === '') && last.fontStyle === token.fontStyle) {
            last.content += token.content;
            continue;
          }
          merged.push(token);
        }
        for (const token of merged) {
          const text = styleText(token.htmlStyle);
          token.htmlStyle = {};
          // The default colour comes from the code block (see the stylesheet), not from a class.
          if (text === '' || text.toLowerCase() === DEFAULT) continue;
          token.htmlAttrs ??= {};
          const name = register(text);
          token.htmlAttrs.class = token.htmlAttrs.class ? `${token.htmlAttrs.class} ${name}` : name;
        }
        lines[l] = merged;
      }
    },
    line(node) {
      // A token of the default colour needs no span of its own: its text goes straight into the line.
      node.children = node.children.flatMap((child) =>
        child.type === 'element' && child.tagName === 'span' && Object.keys(child.properties).length === 0 ? child.children : [child],
      );
    },
  };
  const fileName = 'shiki-classes.css';
  let ssr = false;
  const plugin: Plugin = {
    name: 'd4rt:shiki-classes-css',
    apply: 'build',
    configResolved(config) {
      ssr = Boolean(config.build.ssr);
    },
    writeBundle(options) {
      // Client build only (VitePress runs it before the server build, whose output is thrown
      // away); every page's markdown has been compiled by now. Written next to the bundle rather
      // than emitted into it: VitePress takes the bundle's first CSS asset for the theme's stylesheet.
      if (ssr || options.dir === undefined) return;
      let css = `.vp-code{${DEFAULT}}\n`;
      for (const [name, text] of [...styles].sort(([a], [b]) => a.localeCompare(b))) css += `.${name}{${text}}\n`;
      writeFileSync(join(options.dir, fileName), css);
    },
  };
  return { transformer, plugin, href: `/${fileName}` };
}
