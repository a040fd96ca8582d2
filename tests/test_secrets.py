"""The one secret scrubber: each kind of secret it removes, what it leaves alone, the docstring examples."""

from __future__ import annotations


import pytest

from valueportrait.secrets import scrub

HF = "hf_" + "FAKEtokenNeverToBeSeen0123456789abcdef"  # built, so no token-shaped literal is committed
SK = "sk-" + "proj-FAKEkeyNeverToBeSeen0123456789"


@pytest.mark.parametrize("text, expected", [
    (f"token {HF} rejected", "token *** rejected"),
    (f"key {SK}.", "key ***."),
    (f"Authorization: Bearer {HF}\nHost: x", "Authorization: ***\nHost: x"),
    ("authorization: Basic dXNlcjpwdw==", "authorization: ***"),
    ("{'Authorization': 'Bearer abc.def', 'Accept': 'json'}", "{'Authorization': '***', 'Accept': 'json'}"),
    ('{"proxy-authorization": "Token xyz"}', '{"proxy-authorization": "***"}'),
    ("GET https://user:pw@hub.example.org/api failed", "GET https://***@hub.example.org/api failed"),
    ("http://onlyuser@10.0.0.1:8080/v1", "http://***@10.0.0.1:8080/v1"),
    ("https://api.example.org/v1?api_key=abc123&model=x", "https://api.example.org/v1?api_key=***&model=x"),
    ("https://x/y?a=1&token=abc#frag", "https://x/y?a=1&token=***#frag"),
])
def test_scrub_removes_each_kind_of_secret(text, expected):
    assert scrub(text) == expected


@pytest.mark.parametrize("text", [
    "https://huggingface.co/datasets/my-org/valueportrait",
    "see https://host/path?email=a@b.com",  # an @ after the host is not userinfo
    "git@github.com:org/repo.git",
    "the hf_ prefix alone, hf_short, sk-short",
    "Value Portrait dataset v1.0.0 (upstream 08e1fb7)",
])
def test_scrub_leaves_ordinary_text_alone(text):
    assert scrub(text) == text


def test_extra_secrets_of_any_shape_are_removed_longest_first():
    assert scrub("echo: my-secret and my-secret-2", "my-secret", "my-secret-2", None, "") == "echo: *** and ***"
    assert scrub(ValueError("x")) == "x"  # anything with a str()


