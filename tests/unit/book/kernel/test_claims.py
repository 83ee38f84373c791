import numpy as np
import pytest
import torch

from nnbook.book.kernel.claims import ClaimError, claim


def test_a_claim_that_holds_is_silent():
    claim(2 <= 2, "the GAN covers at most two modes", 2)
    claim(np.float64(0.3) < 0.5, "less than half", np.float64(0.3))
    claim(torch.tensor(True), "a tensor's truth")


def test_a_false_claim_names_the_sentence_and_the_value():
    with pytest.raises(ClaimError) as err:
        claim(3 <= 2, "the closing says the collapsed GAN covers at most two modes", 3)
    message = str(err.value)
    assert "the closing says the collapsed GAN covers at most two modes" in message
    assert "3" in message.split("computed in this build is")[1]
    with pytest.raises(ClaimError, match="clearly below"):
        claim(np.bool_(False), "the accuracy ends clearly below the book's")


def test_a_false_claim_names_the_page_being_built(monkeypatch):
    monkeypatch.setenv("NNBOOK_PAGE", "book/gans")
    with pytest.raises(ClaimError, match=r"A sentence of the page book/gans no longer holds: "
                                         r"the GAN covers at most two modes\."):
        claim(False, "the GAN covers at most two modes", 3)
    monkeypatch.delenv("NNBOOK_PAGE")
    with pytest.raises(ClaimError, match=r"A sentence of the book no longer holds"):
        claim(False, "the GAN covers at most two modes", 3)


def test_the_claims_log_writes_down_every_claim_checked(tmp_path, monkeypatch):
    import json

    log = tmp_path / "claims.jsonl"
    monkeypatch.setenv("NNBOOK_CLAIMS_LOG", str(log))
    monkeypatch.setenv("NNBOOK_PAGE", "book/a_page")
    claim(2 > 1, "two is more than one", (2, 1))
    with pytest.raises(ClaimError):
        claim(1 > 2, "one is more than two", (1, 2))
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert lines == [{"page": "book/a_page", "sentence": "two is more than one", "holds": True,
                      "value": "(2, 1)"},
                     {"page": "book/a_page", "sentence": "one is more than two", "holds": False,
                      "value": "(1, 2)"}]
