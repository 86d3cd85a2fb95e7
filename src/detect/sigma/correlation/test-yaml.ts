/** Test support: turns YAML text into `RuleDocument`s whose `locate` answers from the yaml node ranges. */
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { Node } from 'yaml';
import type { RuleDocument } from '../source.ts';

/** Parses every document of `text` as if read from `file`; throws on YAML syntax errors. */
export function ruleDocuments(text: string, file = 'rule.yml'): RuleDocument[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines });
  if (!Array.isArray(docs)) return [];
  return docs.map((doc, index) => {
    if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join('\n'));
    const value = (doc.toJS() ?? {}) as Record<string, unknown>;
    const pos = (offset: number): { line: number; col: number } => {
      const { line, col } = lines.linePos(offset);
      return { line, col };
    };
    return {
      file,
      index,
      value,
      // Like the rule loader: a map entry is located at its key, a list item at the item.
      locate(path: readonly (string | number)[]) {
        let node: unknown = doc.contents;
        let at = pos((doc.contents as Node | null)?.range?.[0] ?? 0);
        for (const step of path) {
          let start: number | undefined;
          if (isMap(node)) {
            const pair = node.items.find(
              (p) => isScalar(p.key) && String(p.key.value) === String(step),
            );
            if (!pair) break;
            start = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
            node = pair.value;
          } else if (isSeq(node) && typeof step === 'number') {
            const item = node.items[step] as Node | undefined;
            if (!item) break;
            start = item.range?.[0];
            node = item;
          } else break;
          if (start === undefined) break;
          at = pos(start);
        }
        return at;
      },
    };
  });
}

/** The only document of `text`. */
export function ruleDocument(text: string, file = 'rule.yml'): RuleDocument {
  const [doc] = ruleDocuments(text, file);
  if (!doc) throw new Error('no YAML document');
  return doc;
}
