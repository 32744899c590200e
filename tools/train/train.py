"""shapes-llava: the LLaVA recipe (Visual Instruction Tuning) in miniature, on generated scenes.

Stage 0  CLIP's contrastive objective: a small ViT and a small text encoder on image-caption pairs
         (no pre-trained CLIP is reachable here, so the vision tower is pre-trained first).
Stage 1  Feature alignment: only the projector trains; vision tower and language model frozen; captions.
Stage 2  Instruction tuning: projector and language model train, vision frozen; rule-made conversations of
         the paper's three kinds (conversation, detailed description, reasoning).

The language model is stories260K (llama2.c), fine-tuned. Reads what tools/train/prepare.ts wrote and
writes model.safetensors (LlavaForConditionalGeneration names) and training-log.json into the checkpoint.
Run by `npm run train` with Debian's python3-torch: /usr/bin/python3 tools/train/train.py DATA CHECKPOINT.
"""

import json
import math
import os
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
STAGE0 = dict(steps=500, batch=64, lr=2e-3, warmup=40)
STAGE1 = dict(steps=200, batch=32, lr=2e-3, warmup=20)
STAGE2 = dict(steps=700, batch=32, lr=1e-3, warmup=40)
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
        array = tensors[name].detach().to(torch.float32).contiguous().numpy().astype("<f4")
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
        pad = torch.arange(n)[None, :] >= lengths[:, None]
        mask = torch.zeros(pad.shape).masked_fill(pad, float("-inf"))[:, None, None, :]
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
        causal_p = torch.full((p, p), float("-inf")).triu(1)
        causal_r = torch.cat([torch.zeros(r, p), torch.full((r, r), float("-inf")).triu(1)], 1)
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
def schedule(optimizer, steps, lr, warmup):
    def factor(step):
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup))) * 0.95 + 0.05

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def log(stage, step, steps, loss, started):
    print(f"{stage} step {step:4d}/{steps} loss {loss:.4f} ({time.time() - started:.0f} s)", flush=True)


def normalised(pixels_u8):
    x = pixels_u8.float() * (1 / 255)
    mean = torch.tensor(CLIP_MEAN)[None, :, None, None]
    std = torch.tensor(CLIP_STD)[None, :, None, None]
    return (x - mean) / std


# The caption tokens of each kind (stories260K's tokenizer, as a word after a colour: " circle", ...).
KIND_TOKENS = ([280, 315, 429, 305], [262, 456, 425, 412, 276], [259, 325, 303, 428, 305])


def kind_swapped(caption, rng):
    """The caption with one shape's kind changed: a hard negative, as NegCLIP does. Without such negatives,
    colours, places and counts alone tell a batch's captions apart, and the tower never learns kind.
    A trial (--kind-negatives), not yet the recipe: see README.md, "Diagnosis"."""
    found = []
    for k, word in enumerate(KIND_TOKENS):
        for i in range(len(caption) - len(word) + 1):
            if caption[i : i + len(word)] == word:
                found.append((i, k))
    assert found, "every caption names a kind"
    i, k = found[rng.integers(len(found))]
    other = KIND_TOKENS[(k + 1 + rng.integers(2)) % 3]
    return caption[:i] + other + caption[i + len(KIND_TOKENS[k]) :]


def stage0(vision, images, captions, c, rng, kind_negatives):
    """CLIP: symmetric cross-entropy over the batch's image-caption similarities. Identical captions in a
    batch are all positives (a scene's caption is not unique to it). With kind_negatives, each image also
    meets its caption with one kind changed, as an extra negative on the image-to-text side."""
    cfg, d = STAGE0, c["hidden_size"]
    longest = max(len(t) for t in captions) + (1 if kind_negatives else 0)  # " square" is a token longer
    text = TextEncoder(512, d, 4, 2, longest, c["layer_norm_eps"])
    image_head, text_head = nn.Linear(d, d, bias=False), nn.Linear(d, d, bias=False)
    logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
    params = [*vision.parameters(), *text.parameters(), *image_head.parameters(), *text_head.parameters(), logit_scale]
    opt = torch.optim.AdamW(params, lr=cfg["lr"], weight_decay=0.05)
    sched = schedule(opt, cfg["steps"], cfg["lr"], cfg["warmup"])

    def padded(token_lists):
        lengths = torch.tensor([len(t) for t in token_lists])
        ids = torch.zeros(len(token_lists), int(lengths.max()), dtype=torch.long)
        for i, t in enumerate(token_lists):
            ids[i, : len(t)] = torch.tensor(t)
        return ids, lengths

    started, losses = time.time(), []
    for step in range(cfg["steps"]):
        idx = rng.choice(len(captions), cfg["batch"], replace=False).tolist()
        texts = [captions[i] for i in idx]
        if kind_negatives:
            texts += [kind_swapped(t, rng) for t in texts]
        pooled = vision.post_layernorm(vision.hidden_states(normalised(images[idx]))[-1][:, 0])
        img = F.normalize(image_head(pooled), dim=-1)
        txt = F.normalize(text_head(text(*padded(texts))), dim=-1)
        logits = logit_scale.exp().clamp(max=100) * img @ txt.T  # [B, B or 2B]: captions, then negatives
        keys = [tuple(t) for t in texts]
        same = torch.tensor([[keys[i] == keys[j] for j in range(len(texts))] for i in range(len(idx))], dtype=torch.float)
        target = same / same.sum(1, keepdim=True)
        b = len(idx)
        to_text = -(target * logits.log_softmax(1)).sum(1).mean()
        to_image = -(same[:, :b] / same[:, :b].sum(0, keepdim=True) * logits[:, :b].log_softmax(0)).sum(0).mean()
        loss = (to_text + to_image) / 2
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
        if step % 25 == 0 or step == cfg["steps"] - 1:
            log("stage0", step, cfg["steps"], float(np.mean(losses[-50:])), started)
    return {"seconds": time.time() - started, "final_loss": float(np.mean(losses[-50:])), **cfg}


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
    embeds = lm.model.embed_tokens(ids)
    scenes = torch.tensor([s["scene"] for s in sequences])
    projected = projector(features[scenes])  # [B, patches, D]
    count = projected.shape[1]
    # The image slots are the first `count` positions of every rest (right after the shared prefix).
    assert bool(image[:, :count].all()) and not bool(image[:, count:].any())
    embeds = torch.cat([projected, embeds[:, count:]], 1)
    targets = torch.cat([ids[:, 1:], torch.zeros(b, 1, dtype=torch.long)], 1)
    return embeds, targets, weight


def length_batches(sequences, size, rng):
    """Endless batches of sequences of similar length (little padding), in a new random order each epoch."""
    order = sorted(range(len(sequences)), key=lambda i: (len(sequences[i]["ids"]), rng.random()))
    chunks = [order[i : i + size] for i in range(0, len(order) - size + 1, size)]
    while True:
        for c in rng.permutation(len(chunks)):
            yield [sequences[i] for i in chunks[c]]


def train_lm(name, cfg, sequences, features, projector, lm, prefix, params, rng):
    opt = torch.optim.AdamW(params, lr=cfg["lr"], weight_decay=0.0)
    sched = schedule(opt, cfg["steps"], cfg["lr"], cfg["warmup"])
    started, losses = time.time(), []
    batches = length_batches(sequences, cfg["batch"], rng)
    for step in range(cfg["steps"]):
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
        if step % 25 == 0 or step == cfg["steps"] - 1:
            log(name, step, cfg["steps"], float(np.mean(losses[-50:])), started)
    return {"seconds": time.time() - started, "final_loss": float(np.mean(losses[-50:])), **cfg}


def vision_tensors(vision):
    # post_layernorm serves stage 0's pooled output only; LLaVA reads layer -2
    return {"vision_tower.vision_model." + k: v for k, v in vision.state_dict().items() if not k.startswith("post_layernorm")}


def main(data_dir, checkpoint_dir, quick, stage0_only=False, vision_from=None, kind_negatives=False):
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    rng = np.random.default_rng(SEED)
    config = json.load(open(os.path.join(checkpoint_dir, "config.json")))
    data = json.load(open(os.path.join(data_dir, "data.json")))
    vc, tc = config["vision_config"], config["text_config"]
    side = data["imageSize"]
    images = torch.from_numpy(np.fromfile(os.path.join(data_dir, "pixels.u8"), dtype=np.uint8)).view(-1, 3, side, side)
    if quick:
        for stage in (STAGE0, STAGE1, STAGE2):
            stage["steps"] = 6
    report = {"seed": SEED, "torch": torch.__version__, "threads": torch.get_num_threads(), "scenes": data["scenes"]}
    total = time.time()

    vision = ClipVision(vc)
    if vision_from:
        # A trial of stages 1-2 on a tower already trained (their batches differ from a full run's, as stage 0
        # no longer draws from rng).
        state = read_safetensors(os.path.join(vision_from, "model.safetensors"))
        prefix_v = "vision_tower.vision_model."
        vision.load_state_dict({k[len(prefix_v) :]: v for k, v in state.items() if k.startswith(prefix_v)}, strict=False)
        report["stage0"] = json.load(open(os.path.join(vision_from, "training-log.json")))["stage0"]
    else:
        report["stage0"] = {**stage0(vision, images, data["captions"], vc, rng, kind_negatives), "kind_negatives": kind_negatives}
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

    state = read_safetensors(os.path.join(data_dir, "stories260k.safetensors"))
    prefix_name = "language_model."
    # The head is tied to the embeddings (stories260K shares them); it is written back as their copy.
    state.pop(prefix_name + "lm_head.weight")
    lm = LanguageModel(tc, state[prefix_name + "model.embed_tokens.weight"].shape[0])
    missing, unexpected = lm.load_state_dict({k[len(prefix_name) :]: v for k, v in state.items()}, strict=False)
    assert not unexpected and all(k.startswith("cos") or k.startswith("sin") for k in missing), (missing, unexpected)
    projector = Projector(vc["hidden_size"], tc["hidden_size"])

    first = data["stage1"][0]["ids"]
    prefix = first[: first.index(-1)]
    for s in data["stage1"] + data["stage2"]:
        assert s["ids"][: len(prefix)] == prefix, "every sequence starts with the same prompt prefix"
    prefix_ids = torch.tensor(prefix)

    lm.requires_grad_(False)
    report["stage1"] = train_lm("stage1", STAGE1, data["stage1"], features, projector, lm, prefix_ids, list(projector.parameters()), rng)
    lm.requires_grad_(True)
    params = [*projector.parameters(), *lm.parameters()]
    report["stage2"] = train_lm("stage2", STAGE2, data["stage2"], features, projector, lm, prefix_ids, params, rng)
    report["total_seconds"] = time.time() - total

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
    print(f"trained in {report['total_seconds']:.0f} s → {checkpoint_dir}/model.safetensors")


if __name__ == "__main__":
    flags = [a for a in sys.argv[1:] if a.startswith("--")]
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    # Trials, not the recipe: --stage0-only writes just the tower (for probe.py), --vision-from=DIR reuses
    # one for stages 1-2, --kind-negatives and --stage0-steps=N change stage 0.
    value = lambda name: next((a.split("=", 1)[1] for a in flags if a.startswith(name + "=")), None)
    if value("--stage0-steps"):
        STAGE0["steps"] = int(value("--stage0-steps"))
    main(args[0], args[1], "--quick" in flags, "--stage0-only" in flags, value("--vision-from"), "--kind-negatives" in flags)
