"""Names, commits and bytes of the recorded Hub repositories in tests/fixtures/hub/."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from tests.hubfake import FIXTURES

INSTRUCT = "meta-llama/Llama-3.1-8B-Instruct"
INSTRUCT_SHA = "0e9e39f249a16976918f6564b8830bc894c89659"
# The Instruct card names its base by the repository's name before Meta renamed it.
INSTRUCT_DECLARED_BASE = "meta-llama/Meta-Llama-3.1-8B"
BASE = "meta-llama/Llama-3.1-8B"
BASE_SHA = "d04e592bb4f6aa9cfee91e2e20afa771667e1d4b"
DISTILL = "deepseek-ai/DeepSeek-R1-Distill-Llama-8B"
DISTILL_SHA = "6a6f4aa4197940add57724a7707d069478df56b1"
MISTRAL = "mistralai/Mistral-7B-Instruct-v0.3"
MISTRAL_SHA = "c170c708c41dac9275d15a8fff4eca08d52bab71"
# An earlier real commit of the same repository (pinned in public code); the fake gets it at run time.
MISTRAL_OLDER_SHA = "e0bc86c23ce5aae1db576c8cca6f06f1f73af2db"
GGUF = "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"
GGUF_SHA = "46734c441398f6a7c81fa2e57f366351c5e5510c"
GGUF_DECLARED_BASE = "meta-llama/Meta-Llama-3.1-8B-Instruct"
QWEN = "Qwen/Qwen2.5-3B-Instruct"
QWEN_SHA = "aa8e72537993ba99e69dfaafa59ed015b17504d1"
ADAPTER = "predibase/magicoder"
ADAPTER_SHA = "decafbad" * 5  # stand-in commit, see tests/fixtures/hub/README.md
MERGE = "allknowingroger/LlamaSlerp1-8B"
MERGE_SHA = "defaced0" * 5  # stand-in commit, see tests/fixtures/hub/README.md

LLAMA_3_1_8B_PARAMETERS = 8_030_261_248
TEXT_FILES = {"README.md", "LICENSE", "USE_POLICY.md", "config.json"}


def info(repo_id: str) -> dict[str, Any]:
    return json.loads((FIXTURES / repo_id / "model_info.json").read_text(encoding="utf-8"))


def file_bytes(repo_id: str, path: str) -> bytes:
    return (FIXTURES / repo_id / "files" / path).read_bytes()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def expected_files(repo_id: str) -> list[dict[str, Any]]:
    """What a version records for each file: LFS files by their LFS size and sha256, others by size alone."""
    return [
        {
            "path": sibling["rfilename"],
            "size": sibling["lfs"]["size"] if "lfs" in sibling else sibling["size"],
            "sha256": sibling["lfs"]["sha256"] if "lfs" in sibling else None,
            "blob_id": sibling["blobId"],
        }
        for sibling in info(repo_id)["siblings"]
    ]
