"""shapes-llava: the LLaVA recipe (Visual Instruction Tuning) in miniature, on generated scenes.

Stage 0  CLIP's contrastive objective: a small ViT and a small text encoder on image-caption pairs
         (no pre-trained CLIP is reachable here, so the vision tower is pre-trained first).
Stage 1  Feature alignment: only the projector trains; vision tower and language model frozen; captions.
Stage 2  Instruction tuning: projector and language model train, vision frozen; rule-made conversations of
         the paper's three kinds (conversation, detailed description, reasoning).

The language model is stories260K (llama2.c), fine-tuned. Reads what tools/train/prepare.ts wrote and
writes model.safetensors (LlavaForConditionalGeneration names) and training-log.json into the checkpoint.
Run by `npm run train` with Debian's python3-torch: /usr/bin/python3 tools/train/train.py DATA CHECKPOINT.
Runs on a CUDA device when torch sees one (the same code and seeds; float summation order differs).
"""

import json
import math
import os
import signal
import struct
import sys
import time

# One BLAS thread under torch's own two; idle OpenMP workers sleep instead of spinning on a shared machine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

SEED = 17
# patch_loss weighs stage 0's second term: each patch token at the layer the projector reads names the kind and
# colour of the shape covering it, so that the tower binds kind to place (README.md, "Binding kind to place");
# --stage0-patch-loss=0 gives the contrastive objective alone, as the first checkpoint's tower had.
STAGE0 = dict(steps=2000, batch=128, lr=2e-3, warmup=100, patch_loss=1.0)
STAGE1 = dict(steps=600, batch=64, lr=2e-3, warmup=50)
# From stories260K's weights. The committed checkpoint's language model began instead from the first
# checkpoint's, so its stage 2 ran at a peak of 5e-4 after 100 steps of warm-up (README.md, "Reproducing");
# --stage2-stop=N stops the schedule at step N, as a device's time limit once did.
STAGE2 = dict(steps=4000, stop=None, batch=64, lr=1e-3, warmup=200)
# The last VAL_SCENES training scenes are kept out of every stage: stage 2's answers on them are scored.
VAL_SCENES = 300
# Stage 2 writes the checkpoint (and AdamW's state, for --resume) this often.
SAVE_EVERY = 100
OPTIMIZER_FILE = "stage2-optimizer.pt"
DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


# ---------------------------------------------------------------- safetensors (the format is tiny)
def read_safetensors(path):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", f"{name}: {info['dtype']}"
        start, end = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[start:end], dtype="<f4").copy()).reshape(info["shape"])
    return out


def write_safetensors(path, tensors):
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name in sorted(tensors):
        array = tensors[name].detach().cpu().to(torch.float32).contiguous().numpy().astype("<f4")
        blob = array.tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for blob in blobs:
            f.write(blob)


# ---------------------------------------------------------------- CLIP vision tower (Hugging Face names)
class ClipAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x, mask=None):
        b, n, d = x.shape
        h = self.heads
        split = lambda t: t.view(b, n, h, d // h).transpose(1, 2)
        q = split(self.q_proj(x)) * (d // h) ** -0.5
        k, v = split(self.k_proj(x)), split(self.v_proj(x))
        scores = q @ k.transpose(-1, -2)
        if mask is not None:
            scores = scores + mask
        out = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, n, d)
        return self.out_proj(out)


class ClipMlp(nn.Module):
    def __init__(self, d, ff):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(d, ff), nn.Linear(ff, d)

    def forward(self, x):
        x = self.fc1(x)
        return self.fc2(x * torch.sigmoid(1.702 * x))  # quick_gelu


class ClipLayer(nn.Module):
    def __init__(self, d, ff, heads, eps):
        super().__init__()
        self.layer_norm1, self.layer_norm2 = nn.LayerNorm(d, eps=eps), nn.LayerNorm(d, eps=eps)
        self.self_attn, self.mlp = ClipAttention(d, heads), ClipMlp(d, ff)

    def forward(self, x, mask=None):
        x = x + self.self_attn(self.layer_norm1(x), mask)
        return x + self.mlp(self.layer_norm2(x))


class ClipEmbeddings(nn.Module):
    def __init__(self, d, patch, patches):
        super().__init__()
        self.class_embedding = nn.Parameter(torch.randn(d) * 0.02)
        self.patch_embedding = nn.Conv2d(3, d, patch, patch, bias=False)
        self.position_embedding = nn.Embedding(patches + 1, d)
        nn.init.normal_(self.position_embedding.weight, std=0.02)

    def forward(self, pixels):
        x = self.patch_embedding(pixels).flatten(2).transpose(1, 2)
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        return torch.cat([cls, x], 1) + self.position_embedding.weight


class ClipEncoder(nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.layers = nn.ModuleList(layers)


class ClipVision(nn.Module):
    """CLIPVisionTransformer: embeddings, pre_layrnorm, encoder; post_layernorm for stage 0's pooled output."""

    def __init__(self, c):
        super().__init__()
        d, eps = c["hidden_size"], c["layer_norm_eps"]
        patches = (c["image_size"] // c["patch_size"]) ** 2
        self.embeddings = ClipEmbeddings(d, c["patch_size"], patches)
        self.pre_layrnorm = nn.LayerNorm(d, eps=eps)
        self.encoder = ClipEncoder(
            ClipLayer(d, c["intermediate_size"], c["num_attention_heads"], eps) for _ in range(c["num_hidden_layers"])
        )
        self.post_layernorm = nn.LayerNorm(d, eps=eps)

    def hidden_states(self, pixels):
        x = self.pre_layrnorm(self.embeddings(pixels))
        states = [x]
        for layer in self.encoder.layers:
            x = layer(x)
            states.append(x)
        return states


# ---------------------------------------------------------------- stage 0's text encoder (not exported)
class TextEncoder(nn.Module):
    def __init__(self, vocab, d, heads, layers, max_len, eps):
        super().__init__()
        self.token = nn.Embedding(vocab, d)
        self.position = nn.Embedding(max_len, d)
        nn.init.normal_(self.token.weight, std=0.02)
        nn.init.normal_(self.position.weight, std=0.02)
        self.layers = nn.ModuleList(ClipLayer(d, 4 * d, heads, eps) for _ in range(layers))
        self.norm = nn.LayerNorm(d, eps=eps)

    def forward(self, ids, lengths):
        n = ids.shape[1]
        x = self.token(ids) + self.position.weight[:n]
        pad = torch.arange(n, device=ids.device)[None, :] >= lengths[:, None]
        mask = torch.zeros(pad.shape, device=ids.device).masked_fill(pad, float("-inf"))[:, None, None, :]
        for layer in self.layers:
            x = layer(x, mask)
        x = self.norm(x)
        keep = (~pad).float()[..., None]
        return (x * keep).sum(1) / keep.sum(1)  # mean over the caption's tokens


# ---------------------------------------------------------------- Llama (stories260K), Hugging Face names
class RmsNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight, self.eps = nn.Parameter(torch.ones(d)), eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class LlamaAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, self.h, self.kv, self.hd = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
        self.q_proj = nn.Linear(d, self.h * self.hd, bias=False)
        self.k_proj = nn.Linear(d, self.kv * self.hd, bias=False)
        self.v_proj = nn.Linear(d, self.kv * self.hd, bias=False)
        self.o_proj = nn.Linear(self.h * self.hd, d, bias=False)


class LlamaMlp(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, ff = c["hidden_size"], c["intermediate_size"]
        self.gate_proj, self.up_proj = nn.Linear(d, ff, bias=False), nn.Linear(d, ff, bias=False)
        self.down_proj = nn.Linear(ff, d, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_layernorm = RmsNorm(c["hidden_size"], c["rms_norm_eps"])
        self.post_attention_layernorm = RmsNorm(c["hidden_size"], c["rms_norm_eps"])
        self.self_attn, self.mlp = LlamaAttention(c), LlamaMlp(c)


class LlamaModel(nn.Module):
    def __init__(self, c, rows):
        super().__init__()
        self.embed_tokens = nn.Embedding(rows, c["hidden_size"])
        self.layers = nn.ModuleList(LlamaLayer(c) for _ in range(c["num_hidden_layers"]))
        self.norm = RmsNorm(c["hidden_size"], c["rms_norm_eps"])


def rotate(x, cos, sin):
    """Hugging Face's RoPE: element i turns with element i + head_dim/2."""
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], -1)
    return x * cos + rotated * sin


class LanguageModel(nn.Module):
    """stories260K with tied head. The prompt prefix (system prompt), the same in every sequence, runs once
    per batch and its keys and values are shared by all rows: the same function, a fraction of the work."""

    def __init__(self, c, rows):
        super().__init__()
        self.c, self.vocab = c, c["vocab_size"]
        self.model = LlamaModel(c, rows)
        hd = c["head_dim"]
        inv = 1.0 / (c["rope_theta"] ** (torch.arange(0, hd, 2).float() / hd))
        angles = torch.arange(c["max_position_embeddings"]).float()[:, None] * inv[None, :]
        angles = torch.cat([angles, angles], -1)
        self.register_buffer("cos", angles.cos(), persistent=False)
        self.register_buffer("sin", angles.sin(), persistent=False)

    def forward(self, prefix_ids, rest):
        """prefix_ids [P] token ids; rest [B, R, D] embeddings → logits [B, R, vocab] for the rest."""
        m = self.model
        b, r, _ = rest.shape
        p = prefix_ids.shape[0]
        hp, hr = m.embed_tokens(prefix_ids)[None], rest
        dev = rest.device
        causal_p = torch.full((p, p), float("-inf"), device=dev).triu(1)
        causal_r = torch.cat([torch.zeros(r, p, device=dev), torch.full((r, r), float("-inf"), device=dev).triu(1)], 1)
        for layer in m.layers:
            a = layer.self_attn
            xp, xr = layer.input_layernorm(hp), layer.input_layernorm(hr)

            def heads(x, proj, n, start, length):
                t = proj(x).view(x.shape[0], length, n, a.hd).transpose(1, 2)
                if proj is a.v_proj:
                    return t
                return rotate(t, self.cos[start : start + length], self.sin[start : start + length])

            qp, kp, vp = heads(xp, a.q_proj, a.h, 0, p), heads(xp, a.k_proj, a.kv, 0, p), heads(xp, a.v_proj, a.kv, 0, p)
            qr, kr, vr = heads(xr, a.q_proj, a.h, p, r), heads(xr, a.k_proj, a.kv, p, r), heads(xr, a.v_proj, a.kv, p, r)
            group = a.h // a.kv
            kp, vp, kr, vr = (t.repeat_interleave(group, 1) for t in (kp, vp, kr, vr))
            scale = a.hd**-0.5
            op = ((qp @ kp.transpose(-1, -2)) * scale + causal_p).softmax(-1) @ vp
            keys = torch.cat([kp.expand(b, -1, -1, -1), kr], 2)
            values = torch.cat([vp.expand(b, -1, -1, -1), vr], 2)
            orr = ((qr @ keys.transpose(-1, -2)) * scale + causal_r).softmax(-1) @ values
            hp = hp + a.o_proj(op.transpose(1, 2).reshape(1, p, -1))
            hr = hr + a.o_proj(orr.transpose(1, 2).reshape(b, r, -1))
            hp = hp + layer.mlp(layer.post_attention_layernorm(hp))
            hr = hr + layer.mlp(layer.post_attention_layernorm(hr))
        return m.norm(hr) @ m.embed_tokens.weight[: self.vocab].T


class Projector(nn.Module):
    """mlp2x_gelu: Linear, GELU, Linear."""

    def __init__(self, dv, d):
        super().__init__()
        self.linear_1, self.linear_2 = nn.Linear(dv, d), nn.Linear(d, d)

    def forward(self, x):
        return self.linear_2(F.gelu(self.linear_1(x)))


# ---------------------------------------------------------------- training helpers
def keep_freed_memory():
    """Makes glibc's malloc keep freed memory for the next allocation instead of handing it back to the OS.

    A stage-2 step on the CPU allocates and frees attention tensors of ~100-200 MB. glibc serves blocks that
    large with mmap and unmaps them on free, so every step faulted the same memory in again, page by page:
    86,000 page faults a second, 43% of the run's CPU time in the kernel, 18-33 s a step on the 2-core VM.
    With the heap kept, a step takes ~3 s (README.md, "Time"). Linux's glibc only; elsewhere nothing changes.
    """
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    m_trim_threshold, m_mmap_max = -1, -4
    libc.mallopt(m_mmap_max, 0)
    libc.mallopt(m_trim_threshold, -1)  # -1: never trim


def schedule(steps, warmup):
    """The learning rate's factor at a step: linear warm-up, then cosine decay to 5%."""

    def factor(step):
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup))) * 0.95 + 0.05

    return factor


def log(stage, step, steps, loss, started):
    print(f"{stage} step {step:4d}/{steps} loss {loss:.4f} ({time.time() - started:.0f} s)", flush=True)


def normalised(pixels_u8):
    x = pixels_u8.float() * (1 / 255)
    mean = torch.tensor(CLIP_MEAN, device=x.device)[None, :, None, None]
    std = torch.tensor(CLIP_STD, device=x.device)[None, :, None, None]
    return (x - mean) / std


COLOURS = ("red", "green", "blue", "yellow", "purple", "orange")
KINDS = ("circle", "square", "triangle")


def find(caption, word):
    return [i for i in range(len(caption) - len(word) + 1) if caption[i : i + len(word)] == word]


def hard_negatives(caption, words, rng):
    """The caption with one shape's kind or colour changed, for every shape and every other kind and one
    other colour: hard negatives, as NegCLIP does (Yuksekgonul et al., ICLR 2023). Without them, colours,
    places and counts alone tell a batch's captions apart, and the tower never learns kind (README.md,
    "Diagnosis"). Shapes in a scene have distinct colours, so every such caption is false."""
    out = []
    for group in (KINDS, COLOURS):
        present = [w for w in group if find(caption, words[w])]
        for w in present:
            others = [o for o in group if o != w and (group is KINDS or o not in present)]
            if group is COLOURS:
                others = [others[rng.integers(len(others))]]
            for i in find(caption, words[w]):
                for o in others:
                    out.append(caption[:i] + words[o] + caption[i + len(words[w]) :])
    return out


def patch_targets(images, shapes, palette, patch):
    """[N, patches] kind and colour indices of the shape covering each patch, found from its pixels, or -1: the
    scene's colour that at least 3/4 of the patch's pixels lie within 60 of (shapes are drawn within ±18 a
    channel of the palette, and jitter, noise and resizing stay inside 60; the light backgrounds are far
    outside; a scene's colours differ)."""
    n, _, side, _ = images.shape
    grid = side // patch
    pixels = images.cpu().float().view(n, 3, grid, patch, grid, patch).permute(0, 2, 4, 3, 5, 1).reshape(n, grid * grid, patch * patch, 3)
    kinds = torch.full((n, grid * grid), -1, dtype=torch.long)
    colours = torch.full_like(kinds, -1)
    for i, scene in enumerate(shapes):
        for shape in scene:
            near = (pixels[i] - torch.tensor(palette[shape["colour"]], dtype=torch.float32)).norm(dim=-1) < 60
            covered = near.float().mean(-1) >= 0.75
            kinds[i][covered] = KINDS.index(shape["kind"])
            colours[i][covered] = COLOURS.index(shape["colour"])
    return kinds.to(DEVICE), colours.to(DEVICE)


def stage0(vision, images, captions, words, c, rng, negatives, targets, layer):
    """CLIP: symmetric cross-entropy over the batch's image-caption similarities. Identical captions in a
    batch are all positives (a scene's caption is not unique to it). With negatives, each image also meets
    its caption with each shape's kind or colour changed, as extra negatives on the image-to-text side.
    With STAGE0's patch_loss, a linear head on each patch token at `layer` (the one the projector reads) names
    the kind and colour of the shape that covers it (`targets`, from patch_targets): the captions alone let
    the tower spread a shape's kind over the whole image, where the language model cannot tell which shape
    it belongs to."""
    cfg, d = STAGE0, c["hidden_size"]
    longest = max(len(t) for t in captions) + 8  # a swapped word may be longer than the original
    text = TextEncoder(512, d, 4, 2, longest, c["layer_norm_eps"]).to(DEVICE)
    image_head, text_head = nn.Linear(d, d, bias=False).to(DEVICE), nn.Linear(d, d, bias=False).to(DEVICE)
    logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07), device=DEVICE))
    params = [*vision.parameters(), *text.parameters(), *image_head.parameters(), *text_head.parameters(), logit_scale]
    if cfg["patch_loss"]:
        # made only when used, so that a run without it draws the same initial weights as before it existed
        patch_head = nn.Linear(d, len(KINDS) + len(COLOURS)).to(DEVICE)
        params += [*patch_head.parameters()]
        kinds, colours = targets
    opt = torch.optim.AdamW(params, lr=cfg["lr"], weight_decay=0.05)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule(cfg["steps"], cfg["warmup"]))

    def padded(token_lists):
        lengths = torch.tensor([len(t) for t in token_lists])
        ids = torch.zeros(len(token_lists), int(lengths.max()), dtype=torch.long)
        for i, t in enumerate(token_lists):
            ids[i, : len(t)] = torch.tensor(t)
        return ids.to(DEVICE), lengths.to(DEVICE)

    started, losses, patch_losses = time.time(), [], []
    for step in range(cfg["steps"]):
        if stop:
            raise SystemExit(f"stage0: stopped by SIGTERM after {step} of {cfg['steps']} steps; nothing written")
        idx = rng.choice(len(captions) - VAL_SCENES, cfg["batch"], replace=False).tolist()
        texts = [captions[i] for i in idx]
        if negatives:
            texts += [n for t in texts[: len(idx)] for n in hard_negatives(t, words, rng)]
        states = vision.hidden_states(normalised(images[idx]))
        pooled = vision.post_layernorm(states[-1][:, 0])
        img = F.normalize(image_head(pooled), dim=-1)
        txt = F.normalize(text_head(text(*padded(texts))), dim=-1)
        logits = logit_scale.exp().clamp(max=100) * img @ txt.T  # [B, B + negatives]: captions, then negatives
        keys = {}
        key_ids = torch.tensor([keys.setdefault(tuple(t), len(keys)) for t in texts], device=DEVICE)
        b = len(idx)
        same = (key_ids[:b, None] == key_ids[None, :]).float()
        target = same / same.sum(1, keepdim=True)
        to_text = -(target * logits.log_softmax(1)).sum(1).mean()
        to_image = -(same[:, :b] / same[:, :b].sum(0, keepdim=True) * logits[:, :b].log_softmax(0)).sum(0).mean()
        loss = (to_text + to_image) / 2
        if cfg["patch_loss"]:
            named = patch_head(states[layer][:, 1:])
            kind = F.cross_entropy(named[..., : len(KINDS)].flatten(0, 1), kinds[idx].flatten(), ignore_index=-1)
            colour = F.cross_entropy(named[..., len(KINDS) :].flatten(0, 1), colours[idx].flatten(), ignore_index=-1)
            patch_loss = (kind + colour) / 2
            patch_losses.append(patch_loss.item())
            loss = loss + cfg["patch_loss"] * patch_loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
        if step % 100 == 0 or step == cfg["steps"] - 1:
            log("stage0", step, cfg["steps"], float(np.mean(losses[-50:])), started)
    patch = {"final_patch_loss": float(np.mean(patch_losses[-50:]))} if patch_losses else {}
    return {"seconds": time.time() - started, "final_loss": float(np.mean(losses[-50:])), **patch, **cfg}


def batch_of(sequences, features, projector, lm, prefix_len):
    """Rest-of-sequence embeddings (image features projected in at -1 slots), targets and loss mask."""
    rows = max(len(s["ids"]) for s in sequences) - prefix_len
    b = len(sequences)
    ids = torch.zeros(b, rows, dtype=torch.long)
    image = torch.zeros(b, rows, dtype=torch.bool)
    weight = torch.zeros(b, rows)
    for i, s in enumerate(sequences):
        rest = s["ids"][prefix_len:]
        t = torch.tensor(rest)
        image[i, : len(rest)] = t < 0
        ids[i, : len(rest)] = t.clamp(min=0)
        spans = s["spans"]
        for start, end in zip(spans[0::2], spans[1::2]):
            # position j predicts token j + 1: the answer's tokens are predicted from one position earlier
            weight[i, start - prefix_len - 1 : end - prefix_len - 1] = 1
    ids, image, weight = ids.to(DEVICE), image.to(DEVICE), weight.to(DEVICE)
    embeds = lm.model.embed_tokens(ids)
    scenes = torch.tensor([s["scene"] for s in sequences], device=DEVICE)
    projected = projector(features[scenes])  # [B, patches, D]
    count = projected.shape[1]
    # The image slots are the first `count` positions of every rest (right after the shared prefix).
    assert bool(image[:, :count].all()) and not bool(image[:, count:].any())
    embeds = torch.cat([projected, embeds[:, count:]], 1)
    targets = torch.cat([ids[:, 1:], torch.zeros(b, 1, dtype=torch.long, device=DEVICE)], 1)
    return embeds, targets, weight


def length_batches(sequences, size, rng):
    """Endless batches of sequences of similar length (little padding), in a new random order each epoch."""
    order = sorted(range(len(sequences)), key=lambda i: (len(sequences[i]["ids"]), rng.random()))
    chunks = [order[i : i + size] for i in range(0, len(order) - size + 1, size)]
    while True:
        for c in rng.permutation(len(chunks)):
            yield [sequences[i] for i in chunks[c]]


def answers_right(sequences, features, projector, lm, prefix):
    """Of the answers in `sequences`, the share whose every token is the model's top choice given the
    turns before it: exactly the answers greedy decoding would give, word for word."""
    right = total = 0
    with torch.no_grad():
        for i in range(0, len(sequences), 64):
            chosen = sequences[i : i + 64]
            embeds, targets, _ = batch_of(chosen, features, projector, lm, len(prefix))
            hit = (lm(prefix, embeds).argmax(-1) == targets).cpu()
            for row, s in enumerate(chosen):
                for start, end in zip(s["spans"][0::2], s["spans"][1::2]):
                    right += bool(hit[row, start - len(prefix) - 1 : end - len(prefix) - 1].all())
                    total += 1
    return right / total


# SIGTERM (a time limit) ends stage 2 early but still writes the checkpoint; the log says how far it got.
stop = []
signal.signal(signal.SIGTERM, lambda *_: stop.append(time.time()))


def train_lm(name, cfg, sequences, features, projector, lm, prefix, params, rng, val, start=0, opt_state=None, save=None):
    """Trains from step `start` of the stage's schedule. `save(opt, done)` runs every SAVE_EVERY steps, so a
    run that is killed outright (a device's time limit, a session's end) loses at most that many."""
    opt = torch.optim.AdamW(params, lr=cfg["lr"], weight_decay=0.0)
    if opt_state is not None:
        opt.load_state_dict(opt_state)
    base = schedule(cfg["steps"], cfg["warmup"])
    # Resumed without AdamW's moments, the first full-rate steps would throw the weights far (measured: 64% of
    # validation answers right fell to 56% in 3 steps); the warm-up is repeated instead while they re-form.
    rewarm = cfg["warmup"] if start and opt_state is None else 0
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: base(start + k) * (min(1, (k + 1) / rewarm) if rewarm else 1))
    started, losses = time.time(), []
    batches = length_batches(sequences, cfg["batch"], rng)
    done = start
    for step in range(start, cfg["steps"]):
        if stop or step == cfg.get("stop"):
            print(f"{name}: stopped after {step} of {cfg['steps']} steps", flush=True)
            break
        done = step + 1
        chosen = next(batches)
        embeds, targets, weight = batch_of(chosen, features, projector, lm, len(prefix))
        logits = lm(prefix, embeds)
        nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none")
        loss = (nll * weight.reshape(-1)).sum() / weight.sum()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
        if step % 100 == 0 or step == cfg["steps"] - 1:
            log(name, step, cfg["steps"], float(np.mean(losses[-50:])), started)
        if save and done % SAVE_EVERY == 0:
            save(opt, {"seconds": time.time() - started, "final_loss": float(np.mean(losses[-50:])), **cfg, "steps_run": done})
    seconds = time.time() - started
    right = answers_right(val, features, projector, lm, prefix)
    print(f"{name}: {right * 100:.1f}% of {len(val)} validation conversations' answers right word for word", flush=True)
    result = {"seconds": seconds, "final_loss": float(np.mean(losses[-50:])) if losses else None, "val_answers_right": right, **cfg, "steps_run": done}
    if save:
        save(opt, result)
    return result


def vision_tensors(vision):
    # post_layernorm serves stage 0's pooled output only; LLaVA reads layer -2
    return {"vision_tower.vision_model." + k: v for k, v in vision.state_dict().items() if not k.startswith("post_layernorm")}


def load_data(data_dir, vision_config):
    """prepare.ts's data with each sequence's image placeholder widened to the tower's patch count."""
    data = json.load(open(os.path.join(data_dir, "data.json")))
    slots = (vision_config["image_size"] // vision_config["patch_size"]) ** 2
    for s in data["stage1"] + data["stage2"]:
        at = s["ids"].index(-1)
        s["ids"] = s["ids"][:at] + [-1] * slots + s["ids"][at + 1 :]
        s["spans"] = [i + slots - 1 for i in s["spans"]]
    side = data["imageSize"]
    raw = np.fromfile(os.path.join(data_dir, "pixels.u8"), dtype=np.uint8)
    images = torch.from_numpy(raw).view(-1, 3, side, side).to(DEVICE)
    return data, images


def tower_config(config, patch=None, width=None):
    """The checkpoint's config with the vision tower's grid or width changed (trials: --patch, --width)."""
    vc = config["vision_config"]
    if patch:
        vc["patch_size"] = patch
    if width:
        vc.update(hidden_size=width, intermediate_size=4 * width, num_attention_heads=width // 16)
    config["image_seq_length"] = (vc["image_size"] // vc["patch_size"]) ** 2
    return config


def load_prefixed(module, state, prefix):
    """Loads the checkpoint tensors under `prefix` into `module`; the tied head and RoPE tables are not stored."""
    own = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix) and not k.endswith("lm_head.weight")}
    missing, unexpected = module.load_state_dict(own, strict=False)
    assert not unexpected and all(k.startswith(("cos", "sin", "post_layernorm")) for k in missing), (missing, unexpected)


def write_checkpoint(checkpoint_dir, vision, projector, lm, report):
    tensors = vision_tensors(vision)
    for name, value in projector.state_dict().items():
        tensors["multi_modal_projector." + name] = value
    for name, value in lm.state_dict().items():
        tensors["language_model." + name] = value
    tensors["language_model.lm_head.weight"] = lm.model.embed_tokens.weight[: lm.vocab]
    write_safetensors(os.path.join(checkpoint_dir, "model.safetensors"), tensors)
    with open(os.path.join(checkpoint_dir, "training-log.json"), "w") as f:
        json.dump(report, f, indent=2, sort_keys=True)
        f.write("\n")


def run_record(device_report, start, done, seconds):
    device = device_report.get("gpu", f"cpu, {device_report.get('threads')} threads")
    return {"device": device, "torch": device_report.get("torch", torch.__version__), "steps": [start, done], "seconds": seconds}


def main(data_dir, checkpoint_dir, quick, stage0_only=False, vision_from=None, negatives=True, patch=None, width=None, resume=False, lm_from=None):
    torch.manual_seed(SEED)
    if DEVICE.type == "cpu":
        torch.set_num_threads(2)
        keep_freed_memory()
    rng = np.random.default_rng(SEED)
    config = tower_config(json.load(open(os.path.join(checkpoint_dir, "config.json"))), patch, width)
    with open(os.path.join(checkpoint_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    vc, tc = config["vision_config"], config["text_config"]
    data, images = load_data(data_dir, vc)
    if quick:
        global VAL_SCENES
        VAL_SCENES = 20
        for stage in (STAGE0, STAGE1, STAGE2):
            stage["steps"] = 6
    here = {"device": str(DEVICE), "torch": torch.__version__}
    if DEVICE.type == "cuda":
        here["gpu"] = torch.cuda.get_device_name()
    else:
        here["threads"] = torch.get_num_threads()
    if resume:
        report = json.load(open(os.path.join(checkpoint_dir, "training-log.json")))
        trained = read_safetensors(os.path.join(checkpoint_dir, "model.safetensors"))
    else:
        report = {"seed": SEED, "torch": torch.__version__, "scenes": data["scenes"], "val_scenes": VAL_SCENES, **here}
    total = time.time()

    vision = ClipVision(vc).to(DEVICE)
    if resume:
        load_prefixed(vision, trained, "vision_tower.vision_model.")
    elif vision_from:
        # A trial of stages 1-2 on a tower already trained (their batches differ from a full run's, as stage 0
        # no longer draws from rng).
        load_prefixed(vision, read_safetensors(os.path.join(vision_from, "model.safetensors")), "vision_tower.vision_model.")
        report["stage0"] = json.load(open(os.path.join(vision_from, "training-log.json")))["stage0"]
    else:
        targets = patch_targets(images, data["shapes"], data["palette"], vc["patch_size"]) if STAGE0["patch_loss"] else None
        result = stage0(vision, images, data["captions"], data["words"], vc, rng, negatives, targets, config["vision_feature_layer"])
        report["stage0"] = {**result, "hard_negatives": negatives}
    if stage0_only:
        write_safetensors(os.path.join(checkpoint_dir, "model.safetensors"), vision_tensors(vision))
        with open(os.path.join(checkpoint_dir, "training-log.json"), "w") as f:
            json.dump(report, f, indent=2, sort_keys=True)
        return
    vision.eval().requires_grad_(False)
    # Vision stays frozen from here on: its features are computed once.
    layer = config["vision_feature_layer"]
    with torch.no_grad():
        features = torch.cat([vision.hidden_states(normalised(images[i : i + 256]))[layer][:, 1:] for i in range(0, len(images), 256)])

    base = read_safetensors(os.path.join(data_dir, "stories260k.safetensors"))
    lm = LanguageModel(tc, base["language_model.model.embed_tokens.weight"].shape[0])
    if lm_from:
        # A warm start: stages 1-2 begin from a trained checkpoint's language model instead of stories260K's.
        load_prefixed(lm, read_safetensors(os.path.join(lm_from, "model.safetensors")), "language_model.")
        report["lm_from"] = json.load(open(os.path.join(lm_from, "training-log.json")))
    else:
        load_prefixed(lm, trained if resume else base, "language_model.")
    lm.to(DEVICE)
    projector = Projector(vc["hidden_size"], tc["hidden_size"]).to(DEVICE)
    if resume:
        load_prefixed(projector, trained, "multi_modal_projector.")

    first = data["stage1"][0]["ids"]
    prefix = first[: first.index(-1)]
    for s in data["stage1"] + data["stage2"]:
        assert s["ids"][: len(prefix)] == prefix, "every sequence starts with the same prompt prefix"
    prefix_ids = torch.tensor(prefix, device=DEVICE)
    cut = data["scenes"] - VAL_SCENES
    train1 = [s for s in data["stage1"] if s["scene"] < cut]
    train2 = [s for s in data["stage2"] if s["scene"] < cut]
    val1 = [s for s in data["stage1"] if s["scene"] >= cut]
    val2 = [s for s in data["stage2"] if s["scene"] >= cut]

    if not resume:
        lm.requires_grad_(False)
        report["stage1"] = train_lm("stage1", STAGE1, train1, features, projector, lm, prefix_ids, list(projector.parameters()), rng, val1)
    lm.requires_grad_(True)
    params = [*projector.parameters(), *lm.parameters()]

    # Stage 2 can stop part-way (SIGTERM, a killed job) and continue later, on another machine, with
    # --resume: the checkpoint holds the weights and how far the schedule got, and OPTIMIZER_FILE in the
    # data folder AdamW's moments. A resumed run draws its batches from a generator seeded by the step it
    # starts at, so it is reproducible but not the batch order of an uninterrupted run.
    start, opt_state, runs, earlier = 0, None, [], 0
    if resume:
        earlier = report["total_seconds"]
        previous = report["stage2"]
        start, runs = previous["steps_run"], previous.get("runs") or [run_record(report, 0, previous["steps_run"], previous["seconds"])]
        saved = os.path.join(data_dir, OPTIMIZER_FILE)
        if os.path.exists(saved):
            kept = torch.load(saved, map_location=DEVICE)
            if kept["steps_run"] == start:
                opt_state = kept["state"]
        print(f"stage2: resuming at step {start} of {STAGE2['steps']}, {'with' if opt_state else 'without'} the optimizer's state", flush=True)
        rng = np.random.default_rng([SEED, start])

    def save(opt, result):
        done = result["steps_run"]
        report["stage2"] = {**result, "runs": [*runs, run_record(here, start, done, result["seconds"])]}
        report["total_seconds"] = earlier + time.time() - total
        write_checkpoint(checkpoint_dir, vision, projector, lm, report)
        torch.save({"steps_run": done, "state": opt.state_dict()}, os.path.join(data_dir, OPTIMIZER_FILE))

    train_lm("stage2", STAGE2, train2, features, projector, lm, prefix_ids, params, rng, val2, start, opt_state, save)
    print(f"trained in {time.time() - total:.0f} s → {checkpoint_dir}/model.safetensors")


if __name__ == "__main__":
    flags = [a for a in sys.argv[1:] if a.startswith("--")]
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    # Trials, not the recipe: --stage0-only writes just the tower (for probe.py), --vision-from=DIR reuses
    # one for stages 1-2, --lm-from=DIR starts them from DIR's language model; --no-negatives, --patch=N,
    # --width=N, --stageK-steps=N, --stageK-lr=X, --stageK-warmup=N, --stage0-patch-loss=X and
    # --stage2-stop=N change a stage.
    value = lambda name: next((a.split("=", 1)[1] for a in flags if a.startswith(name + "=")), None)
    if "--resume" in flags:
        # A resumed stage 2 goes on with the schedule it began (its length, peak and warm-up), unless a flag
        # below changes it.
        begun = json.load(open(os.path.join(args[1], "training-log.json")))["stage2"]
        STAGE2.update({key: begun[key] for key in ("steps", "batch", "lr", "warmup")})
    for k, stage in enumerate((STAGE0, STAGE1, STAGE2)):
        for key, kind in (("steps", int), ("lr", float), ("warmup", int), ("patch-loss", float)):
            if value(f"--stage{k}-{key}"):
                stage[key.replace("-", "_")] = kind(value(f"--stage{k}-{key}"))
    if value("--stage2-stop"):
        STAGE2["stop"] = int(value("--stage2-stop"))
    number = lambda name: int(value(name)) if value(name) else None
    main(
        args[0],
        args[1],
        "--quick" in flags,
        "--stage0-only" in flags,
        value("--vision-from"),
        "--no-negatives" not in flags,
        number("--patch"),
        number("--width"),
        "--resume" in flags,
        value("--lm-from"),
    )
