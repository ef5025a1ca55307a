"""The demo documentation subjects, as `./run demo` builds them: the Llama 3.1 snapshots, a submitted
high-risk approval with most of Annex IV written, and the model's own texts."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User

from core.roles import Role
from modelgate.demo.documentation import DocumentationDemo, documentation_demo
from registry.services import local_source, model_version_import
from tests.gateway.support import LLAMA_BASE_REVISION, LLAMA_BASE_SNAPSHOT, LLAMA_REVISION, LLAMA_SNAPSHOT


@pytest.fixture
def requester(make_user: Callable[..., User]) -> User:
    return make_user(Role.ML_ENGINEER, username="max")


@pytest.fixture
def demo(requester: User, officer: User) -> DocumentationDemo:
    for repo_id, revision, directory in (
        ("meta-llama/Llama-3.1-8B", LLAMA_BASE_REVISION, LLAMA_BASE_SNAPSHOT),
        ("meta-llama/Llama-3.1-8B-Instruct", LLAMA_REVISION, LLAMA_SNAPSHOT),
    ):
        model_version_import(actor=requester, repo_id=repo_id, revision=revision, source=local_source(str(directory)))
    made = documentation_demo(requester=requester, officer=officer)
    assert made is not None
    return made
