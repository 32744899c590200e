"""What a shapes-llava checkpoint's vision features encode, and whether its language model uses them.

/usr/bin/python3 tools/train/probe.py DATA_DIR CHECKPOINT_DIR

Writes the figures to CHECKPOINT_DIR/probe.json as well.

Reads the training data prepare.ts wrote (pixels.u8, data.json with each scene's shapes) and a checkpoint
(model.safetensors; a stage-0-only one from `train.py --stage0-only` holds just the vision tower).

1. Linear probes, fitted on 70% of the scenes and scored on the rest, beside the majority-class baseline:
   from the layer the projector reads (mean over patch tokens, and all patch tokens side by side) and from
   stage 0's pooled CLS token: which colours and kinds are present, how many shapes, and on one-shape scenes
   the shape's colour and kind. A property a linear probe cannot read is one the projector will hardly find.
   Then per patch: from one patch token's features, the kind and the colour of the shape covering that patch
   (found from the pixels), on scenes of one shape and of several: whether the tower binds kind to place.
2. If the checkpoint has a projector and language model: the stage-2 answer loss with each conversation's own
   image, with images shuffled across scenes, and with zero features. Equal losses mean the model ignores the
   picture; the gap is how much it uses it. Also the projected image tokens' norm beside the text embeddings'.
"""

import json
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train as T  # noqa: E402

COLOURS, KINDS = T.COLOURS, T.KINDS


def fit(x, y, classes, multi):
    """A linear probe (logistic regression, Adam, light L2), fitted on the first 70%, scored on the rest."""
    cut = int(len(x) * 0.7)
    x = (x - x[:cut].mean(0)) / (x[:cut].std(0) + 1e-5)
    y = y.to(x.device)
    w = torch.zeros(x.shape[1], classes, requires_grad=True, device=x.device)
    b = torch.zeros(classes, requires_grad=True, device=x.device)
    opt = torch.optim.Adam([w, b], lr=1e-2)
    for _ in range(300):
        logits = x[:cut] @ w + b
        loss = F.binary_cross_entropy_with_logits(logits, y[:cut]) if multi else F.cross_entropy(logits, y[:cut])
        loss = loss + 1e-3 * w.pow(2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        logits = x[cut:] @ w + b
        if multi:
            acc = ((logits > 0).float() == y[cut:]).float().mean().item()
            majority = torch.where(y[:cut].mean(0) > 0.5, y[cut:], 1 - y[cut:])
            return acc, majority.mean().item()
        acc = (logits.argmax(1) == y[cut:]).float().mean().item()
        majority = torch.bincount(y[:cut], minlength=classes).argmax()
        return acc, (y[cut:] == majority).float().mean().item()


def probes(name, x, shapes):
    present = lambda words, key: torch.tensor([[float(any(s[key] == w for s in sc)) for w in words] for sc in shapes])
    count = torch.tensor([len(sc) - 1 for sc in shapes])
    one = [i for i, sc in enumerate(shapes) if len(sc) == 1]
    rows = {
        "colours present": fit(x, present(COLOURS, "colour"), 6, True),
        "kinds present": fit(x, present(KINDS, "kind"), 3, True),
        "count": fit(x, count, 3, False),
        "one shape: colour": fit(x[one], torch.tensor([COLOURS.index(shapes[i][0]["colour"]) for i in one]), 6, False),
        "one shape: kind": fit(x[one], torch.tensor([KINDS.index(shapes[i][0]["kind"]) for i in one]), 3, False),
    }
    print(f"  {name}")
    for what, (acc, base) in rows.items():
        print(f"    {what:18s} {acc * 100:5.1f}%  (majority {base * 100:5.1f}%)")
    return {what: acc for what, (acc, _) in rows.items()}


def binding_probes(features, images, shapes, palette, patch):
    """Whether a patch's own features say which kind of shape covers it, beside what they say of its colour:
    the LM can only answer "what colour is the triangle?" among several shapes if the patches it attends to
    tell a triangle's patches from the others'."""
    kinds, colours = T.patch_targets(images, shapes, palette, patch)
    several = torch.tensor([len(sc) > 1 for sc in shapes], device=kinds.device)
    rows = {}
    for name, keep in (("one shape", ~several), ("two or three shapes", several)):
        covered = (kinds >= 0) & keep[:, None]
        x = features[covered.to(features.device)]
        rows[f"{name}: patch's kind"] = fit(x, kinds[covered], 3, False)
        rows[f"{name}: patch's colour"] = fit(x, colours[covered], 6, False)
        rows[f"{name}: patches"] = (float(len(x)), 0.0)
    print("  one patch's features (layer the projector reads), patches a shape covers:")
    for what, (acc, base) in rows.items():
        if what.endswith("patches"):
            print(f"    {what:36s} {int(acc)}")
        else:
            print(f"    {what:36s} {acc * 100:5.1f}%  (majority {base * 100:5.1f}%)")
    return {what: acc for what, (acc, _) in rows.items()}


def answer_loss(seqs, features, projector, lm, prefix):
    total = weight = 0.0
    with torch.no_grad():
        for i in range(0, len(seqs), 16):
            embeds, targets, w = T.batch_of(seqs[i : i + 16], features, projector, lm, len(prefix))
            logits = lm(prefix, embeds)
            nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none")
            total += (nll * w.reshape(-1)).sum().item()
            weight += w.sum().item()
    return total / weight


def main(data_dir, checkpoint_dir):
    torch.manual_seed(0)
    if T.DEVICE.type == "cpu":
        torch.set_num_threads(2)
    config = json.load(open(os.path.join(checkpoint_dir, "config.json")))
    vc, tc = config["vision_config"], config["text_config"]
    data, images = T.load_data(data_dir, vc)
    assert "shapes" in data and "palette" in data, "data.json has no scene labels or palette: rerun prepare.ts (npm run train)"
    shapes = data["shapes"]
    limit = min(len(images), 2000)  # plenty for a linear probe of 64-wide features
    images = images[:limit]
    state = T.read_safetensors(os.path.join(checkpoint_dir, "model.safetensors"))
    vision = T.ClipVision(vc).to(T.DEVICE)
    vision.load_state_dict({k[len("vision_tower.vision_model.") :]: v for k, v in state.items() if k.startswith("vision_tower.")}, strict=False)
    layer = config["vision_feature_layer"]
    with torch.no_grad():
        states = [vision.hidden_states(T.normalised(images[i : i + 256])) for i in range(0, limit, 256)]
        features = torch.cat([s[layer][:, 1:] for s in states])
        cls = torch.cat([s[-1][:, 0] for s in states])
        random = T.ClipVision(vc).to(T.DEVICE)
        random_features = torch.cat([random.hidden_states(T.normalised(images[i : i + 256]))[layer][:, 1:] for i in range(0, limit, 256)])
    labels = shapes[:limit]
    print(f"linear probes on {limit} training scenes (fit 70%, score 30%):")
    figures = {
        "mean of patches": probes(f"layer {layer}, mean of patch tokens", features.mean(1), labels),
        "patches side by side": probes(f"layer {layer}, patch tokens side by side", features.reshape(limit, -1), labels),
        "cls": probes("last layer CLS (stage 0's pooled output, not given to the LM)", cls, labels),
        "untrained": probes(f"untrained tower, layer {layer}, patch tokens side by side", random_features.reshape(limit, -1), labels),
        "binding": binding_probes(features, images, labels, data["palette"], vc["patch_size"]),
    }
    with open(os.path.join(checkpoint_dir, "probe.json"), "w") as f:
        json.dump(figures, f, indent=2, sort_keys=True)

    if not any(k.startswith("multi_modal_projector.") for k in state):
        return
    projector = T.Projector(vc["hidden_size"], tc["hidden_size"]).to(T.DEVICE)
    projector.load_state_dict({k[len("multi_modal_projector.") :]: v for k, v in state.items() if k.startswith("multi_modal_projector.")})
    lm = T.LanguageModel(tc, state["language_model.model.embed_tokens.weight"].shape[0])
    lm.load_state_dict({k[len("language_model.") :]: v for k, v in state.items() if k.startswith("language_model.") and "lm_head" not in k}, strict=False)
    lm.to(T.DEVICE)
    with torch.no_grad():
        projected = projector(features)
    text_norm = state["language_model.model.embed_tokens.weight"][: tc["vocab_size"]].norm(dim=-1).mean().item()
    print(f"image token norm {projected.norm(dim=-1).mean().item():.2f}, text embedding norm {text_norm:.2f}")
    first = data["stage1"][0]["ids"]
    prefix = torch.tensor(first[: first.index(-1)], device=T.DEVICE)
    seqs = [s for s in data["stage2"] if s["scene"] < limit][:400]
    shuffled = features[torch.from_numpy(np.random.default_rng(0).permutation(limit)).to(T.DEVICE)]
    print("stage-2 answer loss on 400 training conversations:")
    print(f"  own image {answer_loss(seqs, features, projector, lm, prefix):.4f}")
    print(f"  shuffled  {answer_loss(seqs, shuffled, projector, lm, prefix):.4f}")
    print(f"  zeros     {answer_loss(seqs, torch.zeros_like(features), projector, lm, prefix):.4f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
