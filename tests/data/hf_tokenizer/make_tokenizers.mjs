// Trains the three small byte-level BPE tokenizers under tests/data/hf_tokenizer/ and writes them
// in the exact Hugging Face tokenizer.json format (with a tokenizer_config.json each):
//   qwen2_like/   Qwen2 split pattern, NFC normalizer, merges as "a b" strings, ByteLevel
//                 post-processor, ChatML special tokens and Qwen2.5's chat template;
//   llama3_like/  Llama 3 split pattern, merges as ["a", "b"] pairs, ignore_merges with a few
//                 vocabulary words no merge reaches, Sequence[ByteLevel, TemplateProcessing]
//                 post-processor adding <|begin_of_text|>, Llama 3 Instruct's chat template;
//   gpt2_like/    ByteLevel pre-tokenizer with use_regex (the GPT-2 pattern), <|endoftext|>.
// The chat templates are copied verbatim from the `chat_template` of Qwen2.5-Instruct's
// (qwen2_5_chat_template.jinja) and Meta-Llama-3-Instruct's (llama3_chat_template.jinja)
// tokenizer_config.json.
// Plain Node (>= 18), no packages:  node tests/data/hf_tokenizer/make_tokenizers.mjs
// The output is deterministic; make_goldens.mjs then records what transformers.js makes of it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

const corpus = `
The quick brown fox jumps over the lazy dog. The dog didn't mind; it's a lazy dog, and they're friends.
We'll see what the weather brings tomorrow. I'm sure it'll be fine, and you've got an umbrella anyway.
Reinforcement learning trains a policy to maximise the expected reward of its reasoning traces.
The model writes a chain of thought, then an answer; the verifier checks the answer and returns a reward.
def train(policy, tasks, steps=1000):
    for step in range(steps):
        batch = sample(tasks, size=32)
        loss = policy.loss(batch)
        loss.backward()
    return policy

if (x > 0 && y < 10) { return x * y + 42; } else { return -1; }
Numbers: 0 1 2 3 4 5 6 7 8 9 10 100 1000 2024 3.14159 12345678 1,000,000 99%.
Le café est très bon à Paris; naïve façade, crème brûlée, déjà vu. Über schöne Straßen in München.
El niño comió piñata. São Paulo é grande. Zürich, Köln, Ærø, Øresund, Łódź.
東京は日本の首都です。北京是中国的首都。我们学习机器学习和强化学习。
안녕하세요 세계. Привет, мир! Как дела? Γειά σου κόσμε.
مرحبا بالعالم. هذا نص عربي قصير. שלום עולם.
Emoji: 😀 🎉 👍 🚀 ❤️ 👨‍👩‍👧 and symbols © ® ™ € £ ¥ § ¶ • … — – « » “ ” ‘ ’.
Tabs\tand\tspaces    and newlines

and carriage returns\r\nare whitespace too.
<html><body class="main">Hello, World!</body></html>
SELECT name, count(*) FROM runs WHERE reward > 0.5 GROUP BY name;
`;

// The three patterns as ECMAScript regexes (only used to cut the training corpus into words).
const patterns = {
  gpt2: /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu,
  qwen2: /'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu,
  llama3: /'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu,
};
const patternText = {
  gpt2: null,
  qwen2: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  llama3: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
};

// GPT-2's bytes_to_unicode.
const byteToChar = [];
{
  let next = 0;
  for (let b = 0; b < 256; ++b) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    byteToChar[b] = String.fromCodePoint(printable ? b : 256 + next++);
  }
}
const byteLevel = (s) => Array.from(new TextEncoder().encode(s), (b) => byteToChar[b]).join('');

function train(pattern, merges) {
  const words = new Map();  // word as an array of symbols -> count
  for (const m of corpus.matchAll(pattern)) {
    const key = byteLevel(m[0]);
    words.set(key, (words.get(key) ?? 0) + 1);
  }
  let split = [...words].map(([w, n]) => [Array.from(w), n]);
  const vocab = {};
  byteToChar.forEach((c, b) => { vocab[c] = b; });
  const out = [];
  while (out.length < merges) {
    const counts = new Map();
    for (const [syms, n] of split)
      for (let i = 0; i + 1 < syms.length; ++i) {
        const k = syms[i] + ' ' + syms[i + 1];
        counts.set(k, (counts.get(k) ?? 0) + n);
      }
    let best = null, bestN = 0;
    for (const [k, n] of counts) if (n > bestN || (n === bestN && k < best)) { best = k; bestN = n; }
    if (!best) break;
    const [a, b] = best.split(' ');
    out.push([a, b]);
    if (!(a + b in vocab)) vocab[a + b] = Object.keys(vocab).length;
    split = split.map(([syms, n]) => {
      const next = [];
      for (let i = 0; i < syms.length; ++i) {
        if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) { next.push(a + b); ++i; }
        else next.push(syms[i]);
      }
      return [next, n];
    });
  }
  return { vocab, merges: out };
}

function addedToken(id, content, special = true) {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: !special, special };
}

const byteLevelStep = (useRegex, trim) => ({ type: 'ByteLevel', add_prefix_space: false, trim_offsets: trim, use_regex: useRegex });

function write(dir, tokenizer, config) {
  fs.mkdirSync(path.join(here, dir), { recursive: true });
  fs.writeFileSync(path.join(here, dir, 'tokenizer.json'), JSON.stringify(tokenizer, null, 2) + '\n');
  fs.writeFileSync(path.join(here, dir, 'tokenizer_config.json'), JSON.stringify(config, null, 2) + '\n');
}

const qwenTemplate = fs.readFileSync(path.join(here, 'qwen2_5_chat_template.jinja'), 'utf8');
const llamaTemplate = fs.readFileSync(path.join(here, 'llama3_chat_template.jinja'), 'utf8');

// Qwen2-like.
{
  const { vocab, merges } = train(patterns.qwen2, 400);
  let id = Object.keys(vocab).length;
  const added = [addedToken(id++, '<|endoftext|>'), addedToken(id++, '<|im_start|>'), addedToken(id++, '<|im_end|>'),
                 addedToken(id++, '<tool_call>', false), addedToken(id++, '</tool_call>', false)];
  write('qwen2_like', {
    version: '1.0', truncation: null, padding: null, added_tokens: added,
    normalizer: { type: 'NFC' },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [
      { type: 'Split', pattern: { Regex: patternText.qwen2 }, behavior: 'Isolated', invert: false },
      byteLevelStep(false, false)] },
    post_processor: byteLevelStep(false, false),
    decoder: byteLevelStep(false, false),
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '',
             fuse_unk: false, byte_fallback: false, vocab, merges: merges.map(([a, b]) => a + ' ' + b) },
  }, {
    add_prefix_space: false, bos_token: null, eos_token: '<|im_end|>', pad_token: '<|endoftext|>', unk_token: null,
    clean_up_tokenization_spaces: false, errors: 'replace', split_special_tokens: false,
    tokenizer_class: 'Qwen2Tokenizer', chat_template: qwenTemplate,
  });
}

// Llama 3-like.
{
  const { vocab, merges } = train(patterns.llama3, 500);
  // Words no merge reaches: ignore_merges makes each a single token.
  for (const w of ['Ġsupercalifragilistic', 'ĠThoughtbench', '789', 'ĠÃ©tÃ©']) if (!(w in vocab)) vocab[w] = Object.keys(vocab).length;
  let id = Object.keys(vocab).length;
  const names = ['<|begin_of_text|>', '<|end_of_text|>', '<|reserved_special_token_0|>', '<|start_header_id|>',
                 '<|end_header_id|>', '<|eot_id|>'];
  const added = names.map((n) => addedToken(id++, n));
  const bos = added[0];
  write('llama3_like', {
    version: '1.0', truncation: null, padding: null, added_tokens: added, normalizer: null,
    pre_tokenizer: { type: 'Sequence', pretokenizers: [
      { type: 'Split', pattern: { Regex: patternText.llama3 }, behavior: 'Isolated', invert: false },
      byteLevelStep(false, true)] },
    post_processor: { type: 'Sequence', processors: [
      byteLevelStep(true, false),
      { type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: bos.content, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
        pair: [{ SpecialToken: { id: bos.content, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } },
               { SpecialToken: { id: bos.content, type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
        special_tokens: { [bos.content]: { id: bos.content, ids: [bos.id], tokens: [bos.content] } } }] },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
             fuse_unk: false, byte_fallback: false, ignore_merges: true, vocab, merges },
  }, {
    bos_token: '<|begin_of_text|>', eos_token: '<|eot_id|>', clean_up_tokenization_spaces: false,
    model_input_names: ['input_ids', 'attention_mask'], tokenizer_class: 'PreTrainedTokenizerFast',
    chat_template: llamaTemplate,
  });
}

// GPT-2-like.
{
  const { vocab, merges } = train(patterns.gpt2, 300);
  const added = [addedToken(Object.keys(vocab).length, '<|endoftext|>')];
  write('gpt2_like', {
    version: '1.0', truncation: null, padding: null, added_tokens: added, normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: byteLevelStep(true, false),
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '',
             fuse_unk: false, byte_fallback: false, vocab, merges: merges.map(([a, b]) => a + ' ' + b) },
  }, {
    bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>', add_prefix_space: false,
    clean_up_tokenization_spaces: false, tokenizer_class: 'GPT2Tokenizer',
  });
}
