"""The pretrained models every lrscout.hf test file starts from (built once per file)."""

from __future__ import annotations

import pytest

from hf_kit import pretrained_bert_body, pretrained_gpt2


@pytest.fixture(scope="module")
def gpt2():
    return pretrained_gpt2()


@pytest.fixture(scope="module")
def bert_body():
    return pretrained_bert_body()
