// @vitest-environment jsdom
// The message markdown subset and its sanitizer, with DOMPurify running on jsdom's DOM. The same
// module is exercised in real Chromium by e2e/markdown.spec.ts (payloads there can really run).
import { beforeEach, describe, expect, it } from 'vitest';
import {
  ALLOWED_ATTRS,
  ALLOWED_TAGS,
  MAX_DELIMITER_RUNS,
  MAX_NESTING,
  clearRenderCache,
  delimiterRuns,
  markdownToHtml,
  mentionContext,
  nestingDepth,
  renderCacheHas,
  renderCacheSize,
  renderMarkdown,
  safeLinkHref,
  sanitize,
} from '../../src/ui/lib/markdown';

/** The rendered message as a DOM tree, the way MessageItem inserts it. */
function dom(text: string): HTMLElement {
  const el = document.createElement('div');
  el.innerHTML = renderMarkdown(text);
  return el;
}

const tags = (el: Element) => [...el.querySelectorAll('*')].map((n) => n.localName);

/** Everything a rendered message must satisfy, whatever its text. */
function expectInert(el: Element): void {
  for (const node of el.querySelectorAll('*')) {
    expect(ALLOWED_TAGS, `tag <${node.localName}>`).toContain(node.localName);
    for (const attr of node.attributes) {
      expect(ALLOWED_ATTRS[node.localName] ?? [], `${node.localName}[${attr.name}]`).toContain(
        attr.name,
      );
    }
    if (node.localName === 'a') {
      const href = node.getAttribute('href');
      if (href !== null) expect(href).toMatch(/^(https?:\/\/[^/@\s]+(\/|$)|mailto:)/);
      expect(node.getAttribute('rel')).toBe('noopener noreferrer');
      expect(node.getAttribute('target')).toBe('_blank');
    }
  }
  expect(el.innerHTML).not.toMatch(/<(script|img|svg|math|iframe|style|object|embed|form)\b/i);
}

beforeEach(() => clearRenderCache());

describe('the subset', () => {
  it('renders bold, italic, strike and inline code', () => {
    const el = dom('**bold** *it* _it2_ ~~gone~~ `x < y`');
    expect(el.querySelector('strong')?.textContent).toBe('bold');
    expect([...el.querySelectorAll('em')].map((e) => e.textContent)).toEqual(['it', 'it2']);
    expect(el.querySelector('del')?.textContent).toBe('gone');
    expect(el.querySelector('code')?.textContent).toBe('x < y');
    expectInert(el);
  });

  it('keeps line breaks (GFM breaks) and paragraphs', () => {
    const el = dom('one\ntwo\n\nthree');
    expect(el.querySelectorAll('p')).toHaveLength(2);
    expect(el.querySelectorAll('br')).toHaveLength(1);
    expect(el.querySelector('p')?.innerHTML).toBe('one<br>two');
  });

  it('keeps the whitespace of a code block, with no highlighting markup', () => {
    const el = dom('```ts\nif (a) {\n    b  =  "<c>";\n}\n```');
    const code = el.querySelector('pre > code');
    expect(code?.textContent).toBe('if (a) {\n    b  =  "<c>";\n}');
    expect(code?.attributes).toHaveLength(0);
    expect(code?.children).toHaveLength(0);
  });

  it('renders lists, nested lists, ordered lists with their start, and quotes', () => {
    const el = dom('- a\n- b\n  - c\n\n3. x\n4. y\n\n> quoted\n>> deeper');
    expect(tags(el)).toEqual([
      'ul',
      'li',
      'li',
      'ul',
      'li',
      'ol',
      'li',
      'li',
      'blockquote',
      'p',
      'blockquote',
      'p',
    ]);
    expect(el.querySelector('ol')?.getAttribute('start')).toBe('3');
    expect(el.querySelector('blockquote blockquote')?.textContent?.trim()).toBe('deeper');
  });

  it('shows task list boxes as the characters typed', () => {
    expect(dom('- [ ] todo\n- [x] done').textContent?.replace(/\s+/g, ' ').trim()).toBe(
      '[ ] todo [x] done',
    );
  });

  it('writes links with rel and target, and autolinks bare URLs, www hosts and emails', () => {
    const el = dom(
      '[docs](https://ferry.example/docs) see https://a.example/x?y=1, www.b.example and it@c.example',
    );
    expect(
      [...el.querySelectorAll('a')].map((a) => [a.textContent, a.getAttribute('href')]),
    ).toEqual([
      ['docs', 'https://ferry.example/docs'],
      ['https://a.example/x?y=1', 'https://a.example/x?y=1'],
      ['www.b.example', 'https://www.b.example/'],
      ['it@c.example', 'mailto:it@c.example'],
    ]);
    expectInert(el);
  });

  it('shows headings, rules, tables and link definitions as the text typed', () => {
    const text =
      '# Title\n## Sub\n---\n| a | b |\n|---|---|\n| 1 | 2 |\n[ref]: https://x.example\nuse [ref]';
    const el = dom(text);
    expect(tags(el).filter((t) => t !== 'br' && t !== 'a')).toEqual(['p']);
    expect(el.textContent?.trim()).toBe(text.replace(/\n/g, ''));
  });

  it('does not load images: ![alt](url) is a link labelled with its alt text', () => {
    const el = dom(
      '![diagram](https://x.example/d.png) ![](https://x.example/e.png) ![bad](javascript:alert(1))',
    );
    expect(el.querySelector('img')).toBeNull();
    expect(
      [...el.querySelectorAll('a')].map((a) => [a.textContent, a.getAttribute('href')]),
    ).toEqual([
      ['diagram', 'https://x.example/d.png'],
      ['https://x.example/e.png', 'https://x.example/e.png'],
    ]);
    expect(el.textContent).toContain('![bad](javascript:alert(1))');
  });

  it('shows HTML and entities exactly as typed', () => {
    const el = dom('<b>x</b> &amp; &lt;i&gt; &#x3C;script&#x3E; a\\*b');
    expect(el.textContent?.trim()).toBe('<b>x</b> &amp; &lt;i&gt; &#x3C;script&#x3E; a*b');
    expect(tags(el)).toEqual(['p']);
  });

  it('renders empty and whitespace-only text as nothing visible', () => {
    expect(dom('').textContent).toBe('');
    expect(dom('   \n ').textContent?.trim()).toBe('');
  });
});

describe('XSS payloads stay inert text', () => {
  const payloads = [
    '<script>alert(1)</script>',
    '<SCRIPT SRC=//evil.example/x.js></SCRIPT>',
    '<img src=x onerror=alert(1)>',
    '<img src="x" onerror="alert(1)"/>text after',
    '<svg onload=alert(1)><circle/></svg>',
    '<svg><script>alert(1)</script></svg>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<a href="javascript:alert(1)">click</a>',
    '<details open ontoggle=alert(1)>',
    '<style>body{display:none}</style>',
    '<!-- <img src=x onerror=alert(1)> -->',
    '<![CDATA[<script>alert(1)</script>]]>',
    '[click](javascript:alert(1))',
    '[click](JaVaScRiPt:alert(1))',
    '[click](  javascript:alert(1)  )',
    '[click](java\tscript:alert(1))',
    '[click](&#106;avascript:alert(1))',
    '[click](javascript&#58;alert(1))',
    '[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
    '[click](vbscript:msgbox(1))',
    '[click](file:///etc/passwd)',
    '[click](//evil.example/x)',
    '[click](/relative)',
    '[click](https://user:pw@evil.example/)',
    '[click](https://ok.example/" onmouseover="alert(1))',
    '[click](<https://ok.example/" onclick=alert(1)>)',
    '[click](https://ok.example/ "title" onclick=alert(1))',
    '[<img src=x onerror=alert(1)>](https://ok.example/)',
    '[a](https://ok.example/ "<script>alert(1)</script>")',
    '<javascript:alert(1)>',
    '<data:text/html,<script>alert(1)</script>>',
    'javascript:alert(1) data:text/html,<b>x</b>',
    '`<script>alert(1)</script>`',
    '```\n</code></pre><script>alert(1)</script>\n```',
    '    <img src=x onerror=alert(1)>',
    '> <img src=x onerror=alert(1)>\n> - <svg onload=alert(1)>',
    '**<img src=x onerror=alert(1)>**',
    '&lt;script&gt;alert(1)&lt;/script&gt;',
    '<a href="https://ok.example/" target="_self" rel="opener">x</a>',
    '<form action="https://evil.example/"><input name=x><button>go</button></form>',
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<p style="background:url(javascript:alert(1))" class="x" id="y">z</p>',
    'https://ok.example/<script>alert(1)</script>',
    'www.ok.example/"onmouseover="alert(1)',
    '[x](mailto:a@b.example?body=<script>alert(1)</script>)',
  ];

  for (const payload of payloads) {
    it(JSON.stringify(payload), () => {
      const el = dom(payload);
      expectInert(el);
      // Nothing the payload typed as HTML became an element: its characters are visible text.
      const shown = el.textContent ?? '';
      if (payload.includes('<script>') && !payload.includes('](')) {
        expect(shown).toContain('<script>');
      }
    });
  }

  it('links only http, https and mailto targets, in every payload', () => {
    const all = document.createElement('div');
    all.innerHTML = payloads.map((p) => renderMarkdown(p)).join('');
    const hrefs = [...all.querySelectorAll('a')].map((a) => a.getAttribute('href'));
    expect(hrefs.length).toBeGreaterThan(0);
    for (const href of hrefs) expect(href).toMatch(/^(https?|mailto):/);
  });
});

describe('sanitize: the second line of defence on its own', () => {
  it('keeps only allowlisted tags and attributes from hostile HTML', () => {
    const el = document.createElement('div');
    el.innerHTML = sanitize(
      '<p style="x" class="y" id="z" onclick="alert(1)">t</p>' +
        '<a href="javascript:alert(1)" onclick="x">j</a>' +
        '<a href="https://ok.example/" target="_self" rel="opener" title="t">k</a>' +
        '<img src=x onerror=alert(1)><svg><script>alert(1)</script></svg>' +
        '<ol start="2" onclick="x" reversed><li data-x="1">a</li></ol>' +
        '<h1>h</h1><table><tr><td>c</td></tr></table><input type="checkbox">',
    );
    expectInert(el);
    const [j, k] = [...el.querySelectorAll('a')];
    expect(j?.hasAttribute('href')).toBe(false);
    expect(k?.getAttribute('href')).toBe('https://ok.example/');
    expect(el.querySelector('ol')?.getAttribute('start')).toBe('2');
    expect(el.textContent).toContain('h'); // content of removed tags stays as text
  });
});

describe('safeLinkHref', () => {
  it('allows http, https with a host and mailto with an address; normalizes', () => {
    expect(safeLinkHref('https://Ferry.Example/a b')).toBe('https://ferry.example/a%20b');
    expect(safeLinkHref('mailto:it@corp.example')).toBe('mailto:it@corp.example');
    for (const bad of [
      'mailto:',
      'http://',
      'https://u:p@x.example/',
      'javascript:alert(1)',
      'data:,x',
      'ftp://x.example',
      '/rel',
      '',
    ]) {
      expect(safeLinkHref(bad), bad).toBeNull();
    }
  });
});

describe('nesting, long input, speed', () => {
  it('renders nesting up to MAX_NESTING and shows deeper nesting as plain text', () => {
    const ok = dom(`${'> '.repeat(MAX_NESTING)}deep`);
    expect(ok.querySelectorAll('blockquote')).toHaveLength(MAX_NESTING);
    const lists = dom(`${'- '.repeat(MAX_NESTING)}deep`);
    expect(lists.querySelectorAll('ul')).toHaveLength(MAX_NESTING);
    const tooDeep = `${'> '.repeat(MAX_NESTING + 1)}deep`;
    expect(nestingDepth(tooDeep)).toBe(MAX_NESTING + 1);
    const el = dom(tooDeep);
    expect(el.querySelector('blockquote')).toBeNull();
    expect(el.textContent).toBe(tooDeep);
  });

  it('survives pathological input of the maximum message length without blowing up', () => {
    const N = 10_000;
    const cases: Record<string, string> = {
      'quote markers': '>'.repeat(N),
      'list markers': '- '.repeat(N / 2),
      'ordered markers': '1. '.repeat(N / 3),
      'indented lists': Array.from({ length: 98 }, (_, i) => `${' '.repeat(i * 2)}- x`).join('\n'),
      'open emphasis': '*a '.repeat(N / 6) + 'b*'.repeat(N / 6),
      'nested emphasis': '**_~~'.repeat(999) + 'x' + '~~_**'.repeat(999),
      underscores: '_a'.repeat(N / 2),
      brackets: '['.repeat(N),
      'unclosed links': '[a]('.repeat(N / 4),
      backticks: '`a'.repeat(N / 2),
      'angle brackets': '<'.repeat(N),
      fences: '```\n'.repeat(N / 4),
      lines: 'a\n'.repeat(N / 2),
      prose: 'Hello **world**, see https://example.com and `code` _now_.\n'.repeat(160),
    };
    const figures: string[] = [];
    for (const [name, text] of Object.entries(cases)) {
      expect(text.length).toBeLessThanOrEqual(N);
      let html = '';
      const parse = time(() => (html = markdownToHtml(text)));
      const purify = time(() => sanitize(html));
      figures.push(
        `${name}: marked ${parse.toFixed(0)} ms, DOMPurify(jsdom) ${purify.toFixed(0)} ms`,
      );
      // Timing is printed, not asserted (it depends on the machine's load): catastrophic
      // backtracking would take minutes and run this test into its timeout.
      expectInert(dom(text));
    }
    console.log(`markdown, 10 000 characters:\n  ${figures.join('\n  ')}`);
  });

  it('shows text with more than MAX_DELIMITER_RUNS emphasis runs as plain text; fenced code does not count', () => {
    const many = '*a '.repeat(MAX_DELIMITER_RUNS) + 'b*';
    expect(delimiterRuns(many)).toBe(MAX_DELIMITER_RUNS + 1);
    const el = dom(many);
    expect(el.querySelector('em')).toBeNull();
    expect(el.textContent?.trim()).toBe(many);
    expect(delimiterRuns('**bold** ~~x~~ _it_ snake_case __init__')).toBe(9);
    // Code in fences does not count: marked does not look for emphasis there.
    const code = '```py\n' + 'some_long_name_here(a_b, *args)\n'.repeat(200) + '```\n**done**';
    expect(delimiterRuns(code)).toBe(2);
    expect(dom(code).querySelector('strong')?.textContent).toBe('done');
    expect(delimiterRuns('~~~\n*a* *b*\n~~~\n_c_\n```\nnever closed *d*')).toBe(2);
  });

  it('renders texts longer than a message may be as plain text', () => {
    const text = '**x** '.repeat(2_000);
    expect(markdownToHtml(text)).not.toContain('<strong>');
  });
});

describe('the render cache', () => {
  it('parses a text once: the second render is a lookup returning the same string', () => {
    const text = '**cached** https://x.example\n- a\n- b '.repeat(200);
    const first = renderMarkdown(text);
    expect(renderCacheSize()).toBe(1);
    expect(renderMarkdown(text)).toBe(first);
    expect(renderCacheSize()).toBe(1);
  });

  it('keeps at most 2000 texts, dropping the least recently used', () => {
    renderMarkdown('keep me');
    for (let i = 0; i < 2_100; i++) {
      renderMarkdown(`text ${i}`);
      if (i % 100 === 0) renderMarkdown('keep me'); // used again: stays
    }
    expect(renderCacheSize()).toBe(2_000);
    expect(renderCacheHas('keep me')).toBe(true);
    expect(renderCacheHas('text 0')).toBe(false);
    expect(renderCacheHas('text 2099')).toBe(true);
  });
});

function time(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

describe('mentions', () => {
  const members = [
    { id: 'A', username: 'ada' },
    { id: 'B', username: 'bo' },
  ];
  const asAda = mentionContext(members, 'A');
  const render = (text: string, ctx = asAda) => {
    const el = document.createElement('div');
    el.innerHTML = renderMarkdown(text, ctx);
    return el;
  };
  const spans = (el: Element) =>
    [...el.querySelectorAll('span')].map((s) => `${s.className}:${s.textContent}`);

  beforeEach(() => clearRenderCache());

  it('highlights members, mine stronger, and @channel as mine', () => {
    expect(spans(render('hi @Bo and @ada, @here'))).toEqual([
      'mention:@Bo',
      'mention mention-me:@ada',
      'mention mention-me:@here',
    ]);
  });

  it('only known usernames, only at a word start, never in code or links', () => {
    const el = render(
      'x@bo @nobody `@bo` [@bo](https://x.org) https://x.org/@bo \\@bo **@bo**\n\n```\n@ada\n```',
    );
    expect(spans(el)).toEqual(['mention:@bo']);
    expect(el.querySelector('strong span.mention')?.textContent).toBe('@bo');
    expectInert(el);
  });

  it('without a context nothing is highlighted; the cache keeps contexts apart', () => {
    expect(spans(render('@bo', null as never))).toEqual([]);
    expect(renderMarkdown('@bo')).not.toContain('span');
    expect(spans(render('@bo', mentionContext(members, 'B')))).toEqual(['mention mention-me:@bo']);
    expect(spans(render('@bo'))).toEqual(['mention:@bo']);
  });

  it('a typed span or class never survives, only the mention classes', () => {
    expect(sanitize('<span class="mention x" onclick="x()">a</span>')).toBe('<span>a</span>');
    expect(sanitize('<span class="mention">a</span>')).toBe('<span class="mention">a</span>');
    expect(sanitize('<p class="mention">a</p>')).toBe('<p>a</p>');
    const el = render('<span class="mention">@bo</span>');
    expect(el.querySelectorAll('span')).toHaveLength(1);
    expect(el.textContent).toContain('<span class="mention">');
    expectInert(el);
  });
});
