"""The quality benchmark's fine-tuning tasks (benchmarks/quality/finetune.py): the pretraining is
deterministic and cached by a digest of its recipe, and both tasks build, train (per named
group too) and keep their digest. The real pretraining takes up to a minute; here the recipes are
cut to a few steps and the cache goes to a temporary folder."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))          # the benchmarks package lives beside src/, not in it

from benchmarks.quality import finetune  # noqa: E402
from benchmarks.quality.training import train_run  # noqa: E402


@pytest.fixture
def short_pretraining(tmp_path, monkeypatch):
    """Recipes of a few steps, cached under tmp_path; the module's memos cleared around the test."""
    monkeypatch.setattr(finetune, "CACHE_DIR", tmp_path)
    monkeypatch.setattr(finetune, "MLP_RECIPE", {**finetune.MLP_RECIPE, "steps": 5})
    monkeypatch.setattr(finetune, "GPT2_RECIPE", {**finetune.GPT2_RECIPE, "steps": 3})
    finetune.mlp_body_state.cache_clear()
    finetune.gpt2_state.cache_clear()
    yield tmp_path
    finetune.mlp_body_state.cache_clear()
    finetune.gpt2_state.cache_clear()


def tiny_recipe(**changes):
    return {"model": "Linear(4, 3)", "optimizer": "AdamW", "lr": 0.01, "weight_decay": 0.0, "steps": 20,
            "batch_size": 8, "seed": 0, **changes}


def tiny_data():
    g = torch.Generator().manual_seed(0)
    return torch.randn(64, 4, generator=g), torch.randint(0, 3, (64,), generator=g)


def pretrain(cache_dir, recipe):
    return finetune.pretrained_state("tiny", recipe, tiny_data(), lambda: torch.nn.Linear(4, 3),
                                     torch.nn.functional.cross_entropy, cache_dir=cache_dir)


def test_pretraining_is_cached_under_its_recipes_digest_and_repeats_bit_for_bit(tmp_path):
    state, digest = pretrain(tmp_path / "a", tiny_recipe())
    assert [p.name for p in (tmp_path / "a").iterdir()] == [f"pretrained-tiny-{digest}.pt"]
    cached, same_digest = pretrain(tmp_path / "a", tiny_recipe())
    fresh, fresh_digest = pretrain(tmp_path / "b", tiny_recipe())      # computed again, elsewhere
    assert same_digest == fresh_digest == digest
    assert all(torch.equal(state[k], cached[k]) and torch.equal(state[k], fresh[k]) for k in state)
    assert not torch.equal(state["weight"], torch.nn.Linear(4, 3).weight)     # it did train


def test_another_recipe_has_another_digest_and_its_own_file(tmp_path):
    _, digest = pretrain(tmp_path, tiny_recipe())
    _, longer = pretrain(tmp_path, tiny_recipe(steps=21))
    assert longer != digest and len(list(tmp_path.iterdir())) == 2


def test_the_mlp_task_builds_a_pretrained_body_under_a_fresh_head_and_trains_per_group(short_pretraining):
    task = finetune.finetune_mlp_lm()
    scratch = finetune.finetune_mlp_lm(pretrained=False)
    body, _ = finetune.mlp_body_state()
    model, other_seed = task.make_model(1), task.make_model(2)
    assert all(torch.equal(v, model.body.state_dict()[k]) for k, v in body.items())
    assert not torch.equal(model.head.weight, other_seed.head.weight)      # the head is the seed's own
    assert not torch.equal(scratch.make_model(1).body[0].weight, model.body[0].weight)
    assert task.digest() == finetune.finetune_mlp_lm().digest() != scratch.digest()
    run = train_run(task, 1e-3, 0, steps=3, ratio=0.1)
    assert run.steps == 3 and run.final_val < float("inf")


def test_the_gpt2_task_trains_through_the_trainer_with_its_loss_equal_to_the_peers(short_pretraining):
    pytest.importorskip("transformers")
    pytest.importorskip("accelerate")
    task = finetune.finetune_gpt2_trainer()
    model = task.make_model(1)
    x, y = task.train[0][:4], task.train[1][:4]
    # the Trainer's batch (the window and its next character, labels = ids) has the task's loss
    batch = finetune.TokenWindows((x, y))[0:4]
    hf_loss = model.hf(input_ids=batch["input_ids"], labels=batch["labels"]).loss
    assert hf_loss.item() == pytest.approx(task.loss_fn(model(x), y).item(), rel=1e-5)
    state, _ = finetune.gpt2_state()
    assert not torch.equal(model.hf.lm_head.weight, state["lm_head.weight"])      # a fresh head
    assert torch.equal(model.hf.transformer.wte.weight, state["transformer.wte.weight"])
    runs = [train_run(task, 1e-3, 0, steps=2, ratio=ratio) for ratio in (1.0, 0.1)]
    assert all(run.steps == 2 and run.final_train < run.init_train for run in runs)
    assert runs[0].final_train != runs[1].final_train          # the Trainer trained the body at its ratio
